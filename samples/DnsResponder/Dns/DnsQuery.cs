using System.Buffers.Binary;

namespace DnsResponder.Dns;

/// <summary>What <see cref="DnsQuery.Parse"/> decided about a datagram.</summary>
internal enum QueryVerdict
{
    /// <summary>A well-formed standard query: answer it.</summary>
    Answer,

    /// <summary>Not a query at all (shorter than a header, or a response): send nothing.</summary>
    Drop,

    /// <summary>The header is readable but the rest is malformed: answer FORMERR.</summary>
    FormatError,

    /// <summary>An opcode other than QUERY: answer NOTIMP.</summary>
    NotImplemented,
}

/// <summary>
/// A DNS query read strictly and in place from the request bytes (RFC 1035, EDNS0 per RFC 6891): one question, no
/// answer or authority records, at most one OPT record, nothing after the last record. Reading allocates nothing; the
/// question is a slice of the request so the reply can echo it byte for byte.
/// </summary>
internal readonly ref struct DnsQuery
{
    /// <summary>The query's ID, copied into the reply.</summary>
    public ushort Id { get; private init; }

    /// <summary>The header's flag word (QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE).</summary>
    public ushort Flags { get; private init; }

    /// <summary>The question as it arrived: name, type and class.</summary>
    public ReadOnlySpan<byte> Question { get; private init; }

    /// <summary>Bytes of the question's name, root label included.</summary>
    public int NameLength { get; private init; }

    /// <summary>The question's name in wire form.</summary>
    public ReadOnlySpan<byte> Name => Question[..NameLength];

    public ushort Type { get; private init; }

    public ushort Class { get; private init; }

    /// <summary>The query carried an EDNS0 OPT record.</summary>
    public bool HasEdns { get; private init; }

    /// <summary>The UDP payload size the client accepts (from OPT; 512 without EDNS).</summary>
    public ushort UdpPayloadSize { get; private init; }

    public byte EdnsVersion { get; private init; }

    /// <summary>The DNSSEC OK bit, which the reply's OPT record copies.</summary>
    public bool DnssecOk { get; private init; }

    /// <summary>
    /// Reads <paramref name="message"/>. Whatever the verdict, <see cref="Id"/> and <see cref="Flags"/> are set when a
    /// header was readable, so an error reply can carry them.
    /// </summary>
    public static QueryVerdict Parse(ReadOnlySpan<byte> message, out DnsQuery query)
    {
        query = default;
        if (message.Length < DnsConstants.HeaderLength)
        {
            return QueryVerdict.Drop;
        }

        ushort id = BinaryPrimitives.ReadUInt16BigEndian(message);
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        query = new DnsQuery { Id = id, Flags = flags };
        if ((flags & DnsConstants.FlagQr) != 0)
        {
            return QueryVerdict.Drop; // a response: answering it could start a loop between two servers
        }

        if ((flags & DnsConstants.OpcodeMask) >> DnsConstants.OpcodeShift != DnsConstants.OpcodeQuery)
        {
            return QueryVerdict.NotImplemented;
        }

        ushort questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        ushort answers = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        ushort authorities = BinaryPrimitives.ReadUInt16BigEndian(message[8..]);
        ushort additionals = BinaryPrimitives.ReadUInt16BigEndian(message[10..]);
        if (questions != 1 || answers != 0 || authorities != 0)
        {
            return QueryVerdict.FormatError;
        }

        int position = DnsConstants.HeaderLength;
        if (!DnsName.TryReadQuestionName(message, position, out int nameLength) || message.Length - position - nameLength < 4)
        {
            return QueryVerdict.FormatError;
        }

        ReadOnlySpan<byte> question = message.Slice(position, nameLength + 4);
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(question[nameLength..]);
        ushort @class = BinaryPrimitives.ReadUInt16BigEndian(question[(nameLength + 2)..]);
        if (type == DnsConstants.TypeOpt)
        {
            return QueryVerdict.FormatError; // OPT is a pseudo-record, never a question (RFC 6891 §6.1.1)
        }

        position += question.Length;
        var edns = new EdnsFields();
        for (int i = 0; i < additionals; i++)
        {
            if (!TryReadAdditional(message, ref position, ref edns))
            {
                return QueryVerdict.FormatError;
            }
        }

        if (position != message.Length)
        {
            return QueryVerdict.FormatError; // bytes after the last record
        }

        query = new DnsQuery
        {
            Id = id,
            Flags = flags,
            Question = question,
            NameLength = nameLength,
            Type = type,
            Class = @class,
            HasEdns = edns.Present,
            UdpPayloadSize = edns.Present ? edns.PayloadSize : (ushort)DnsConstants.ClassicUdpLimit,
            EdnsVersion = edns.Version,
            DnssecOk = edns.DnssecOk,
        };
        return QueryVerdict.Answer;
    }

    /// <summary>Steps over one additional record, taking in an OPT record's fields; false when it is malformed.</summary>
    private static bool TryReadAdditional(ReadOnlySpan<byte> message, ref int position, ref EdnsFields edns)
    {
        if (!DnsName.TrySkipName(message, position, out int nameLength) || message.Length - position - nameLength < 10)
        {
            return false;
        }

        ReadOnlySpan<byte> fixedPart = message.Slice(position + nameLength, 10);
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(fixedPart);
        int dataLength = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[8..]);
        int dataStart = position + nameLength + 10;
        if (message.Length - dataStart < dataLength)
        {
            return false;
        }

        if (type == DnsConstants.TypeOpt)
        {
            // One OPT at most, owned by the root, and its options must exactly fill its data.
            if (edns.Present || nameLength != 1 || message[position] != 0 || !OptionsAreWellFormed(message.Slice(dataStart, dataLength)))
            {
                return false;
            }

            uint ttl = BinaryPrimitives.ReadUInt32BigEndian(fixedPart[4..]);
            edns = new EdnsFields
            {
                Present = true,
                PayloadSize = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[2..]),
                Version = (byte)(ttl >> 16),
                DnssecOk = (ttl & DnsConstants.EdnsDoBit) != 0,
            };
        }

        position = dataStart + dataLength;
        return true;
    }

    private static bool OptionsAreWellFormed(ReadOnlySpan<byte> options)
    {
        while (options.Length > 0)
        {
            if (options.Length < 4)
            {
                return false;
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(options[2..]);
            if (options.Length - 4 < length)
            {
                return false;
            }

            options = options[(4 + length)..];
        }

        return true;
    }

    private struct EdnsFields
    {
        public bool Present;
        public ushort PayloadSize;
        public byte Version;
        public bool DnssecOk;
    }
}
