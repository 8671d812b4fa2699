namespace DnsResponder.Dns;

/// <summary>
/// Answers standard queries for one <see cref="Zone"/>: A/AAAA from its records, NXDOMAIN (with the SOA) for unknown
/// names in it, REFUSED outside it, FORMERR for malformed queries, NOTIMP for other opcodes. Replies echo the question,
/// copy ID and RD, set AA, compress names, honour the EDNS0 payload size and set TC when the answer does not fit.
/// </summary>
internal sealed class AuthoritativeResponder(Zone zone) : IDatagramResponder
{
    private const ushort Serial = 1;
    private static ReadOnlySpan<byte> NameServerLabel => "ns"u8;
    private static ReadOnlySpan<byte> HostmasterLabel => "hostmaster"u8;

    /// <summary>Owner pointer, type, class, TTL, length, then ns+pointer, hostmaster+pointer and five numbers.</summary>
    private static readonly int SoaRecordLength = 2 + 10 + (1 + NameServerLabel.Length + 2) + (1 + HostmasterLabel.Length + 2) + 20;

    private readonly int _apexWireLength = DnsName.WireLength(zone.Apex);

    /// <inheritdoc/>
    public int Respond(ReadOnlySpan<byte> request, Span<byte> reply)
    {
        if (reply.Length < DnsConstants.ClassicUdpLimit)
        {
            throw new ArgumentException($"The reply buffer must hold at least {DnsConstants.ClassicUdpLimit} bytes.", nameof(reply));
        }

        switch (DnsQuery.Parse(request, out DnsQuery query))
        {
            case QueryVerdict.Drop:
                return 0;
            case QueryVerdict.FormatError:
                return HeaderOnly(query, DnsConstants.RcodeFormErr, reply);
            case QueryVerdict.NotImplemented:
                return HeaderOnly(query, DnsConstants.RcodeNotImp, reply);
        }

        int limit = query.HasEdns ? Math.Clamp((int)query.UdpPayloadSize, DnsConstants.ClassicUdpLimit, DnsConstants.MaxUdpPayload) : DnsConstants.ClassicUdpLimit;
        var writer = new DnsReplyWriter(reply, limit);
        writer.Append(query.Question);
        ushort flags = (ushort)(DnsConstants.FlagQr | (query.Flags & (DnsConstants.OpcodeMask | DnsConstants.FlagRd)));

        if (query.HasEdns && query.EdnsVersion != 0)
        {
            writer.AppendOpt(DnsConstants.ExtendedRcodeBadVersion, query.DnssecOk);
            return writer.Finish(query.Id, flags, DnsConstants.RcodeNoError, 1, 0, 0, 1);
        }

        if (query.Type is DnsConstants.TypeAxfr or DnsConstants.TypeIxfr)
        {
            return Close(ref writer, query, flags, DnsConstants.RcodeNotImp, 0, 0); // zone transfers need TCP
        }

        Span<char> key = stackalloc char[DnsConstants.MaxNameLength];
        key = key[..DnsName.WriteKey(query.Name, key)];
        if (query.Class is not (DnsConstants.ClassIn or DnsConstants.ClassAny) || !zone.Contains(key))
        {
            return Close(ref writer, query, flags, DnsConstants.RcodeRefused, 0, 0);
        }

        flags |= DnsConstants.FlagAa;
        ZoneNode? node = zone.Find(key);
        if (node is null)
        {
            return WithSoaInAuthority(ref writer, query, flags, DnsConstants.RcodeNxDomain);
        }

        bool any = query.Type == DnsConstants.TypeAny;
        bool wantA = any || query.Type == DnsConstants.TypeA;
        bool wantAaaa = any || query.Type == DnsConstants.TypeAaaa;
        bool wantSoa = (any || query.Type == DnsConstants.TypeSoa) && zone.IsApex(key);
        int answers = (wantA ? node.ACount : 0) + (wantAaaa ? node.AaaaCount : 0) + (wantSoa ? 1 : 0);
        if (answers == 0)
        {
            return WithSoaInAuthority(ref writer, query, flags, DnsConstants.RcodeNoError); // the name exists: NODATA
        }

        int size = (wantA ? node.ARecords.Length : 0) + (wantAaaa ? node.AaaaRecords.Length : 0) + (wantSoa ? SoaRecordLength : 0);
        if (size > writer.Remaining - OptLength(query))
        {
            // Partial RRsets mislead caches: send none and let the client retry with a larger buffer or TCP.
            return Close(ref writer, query, (ushort)(flags | DnsConstants.FlagTc), DnsConstants.RcodeNoError, 0, 0);
        }

        if (wantA)
        {
            writer.Append(node.ARecords);
        }

        if (wantAaaa)
        {
            writer.Append(node.AaaaRecords);
        }

        if (wantSoa)
        {
            AppendSoa(ref writer, query);
        }

        return Close(ref writer, query, flags, DnsConstants.RcodeNoError, answers, 0);
    }

    private int WithSoaInAuthority(ref DnsReplyWriter writer, DnsQuery query, ushort flags, int rcode)
    {
        // Always fits: header + a question of at most 259 bytes + SOA + OPT stay under 512.
        AppendSoa(ref writer, query);
        return Close(ref writer, query, flags, rcode, 0, 1);
    }

    /// <summary>The zone's SOA, every name compressed to the apex, which ends the question's name.</summary>
    private void AppendSoa(ref DnsReplyWriter writer, DnsQuery query)
    {
        int apex = DnsConstants.HeaderLength + query.NameLength - _apexWireLength;
        writer.AppendPointer(apex);
        writer.AppendUInt16(DnsConstants.TypeSoa);
        writer.AppendUInt16(DnsConstants.ClassIn);
        writer.AppendUInt32(DnsConstants.Ttl);
        writer.AppendUInt16((ushort)(SoaRecordLength - 12));
        writer.AppendLabelThenPointer(NameServerLabel, apex);
        writer.AppendLabelThenPointer(HostmasterLabel, apex);
        writer.AppendUInt32(Serial);
        writer.AppendUInt32(3600); // refresh
        writer.AppendUInt32(600); // retry
        writer.AppendUInt32(86400); // expire
        writer.AppendUInt32(DnsConstants.Ttl); // minimum: the negative-caching TTL
    }

    private static int Close(ref DnsReplyWriter writer, DnsQuery query, ushort flags, int rcode, int answers, int authorities)
    {
        if (query.HasEdns)
        {
            writer.AppendOpt(0, query.DnssecOk);
        }

        return writer.Finish(query.Id, flags, rcode, 1, answers, authorities, query.HasEdns ? 1 : 0);
    }

    private static int OptLength(DnsQuery query) => query.HasEdns ? DnsReplyWriter.OptLength : 0;

    /// <summary>FORMERR or NOTIMP: the question may be unreadable, so only the header goes back.</summary>
    private static int HeaderOnly(DnsQuery query, int rcode, Span<byte> reply)
    {
        ushort flags = (ushort)(DnsConstants.FlagQr | (query.Flags & (DnsConstants.OpcodeMask | DnsConstants.FlagRd)));
        return new DnsReplyWriter(reply, DnsConstants.HeaderLength).Finish(query.Id, flags, rcode, 0, 0, 0, 0);
    }
}
