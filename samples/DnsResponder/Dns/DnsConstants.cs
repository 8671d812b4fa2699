namespace DnsResponder.Dns;

/// <summary>The DNS numbers (RFC 1035, 3596, 6891) this responder reads and writes, named once.</summary>
internal static class DnsConstants
{
    public const int HeaderLength = 12;

    /// <summary>A reply without EDNS must fit in this many bytes (RFC 1035 §4.2.1).</summary>
    public const int ClassicUdpLimit = 512;

    /// <summary>The largest reply this responder sends and the EDNS size it advertises (DNS flag day 2020).</summary>
    public const int MaxUdpPayload = 1232;

    /// <summary>A name on the wire is at most 255 bytes, a label at most 63.</summary>
    public const int MaxNameLength = 255;
    public const int MaxLabelLength = 63;

    /// <summary>TTL of every record and of negative answers (the SOA minimum).</summary>
    public const uint Ttl = 60;

    public const ushort TypeA = 1;
    public const ushort TypeNs = 2;
    public const ushort TypeSoa = 6;
    public const ushort TypeAaaa = 28;
    public const ushort TypeOpt = 41;
    public const ushort TypeIxfr = 251;
    public const ushort TypeAxfr = 252;
    public const ushort TypeAny = 255;

    public const ushort ClassIn = 1;
    public const ushort ClassAny = 255;

    public const int OpcodeQuery = 0;

    public const int RcodeNoError = 0;
    public const int RcodeFormErr = 1;
    public const int RcodeNxDomain = 3;
    public const int RcodeNotImp = 4;
    public const int RcodeRefused = 5;

    /// <summary>EDNS extended RCODE 16 (BADVERS): its upper 8 bits go in the OPT record, the lower 4 (0) in the header.</summary>
    public const byte ExtendedRcodeBadVersion = 1;

    // Header flag bits (second and third header bytes as one big-endian ushort).
    public const ushort FlagQr = 0x8000;
    public const ushort FlagAa = 0x0400;
    public const ushort FlagTc = 0x0200;
    public const ushort FlagRd = 0x0100;
    public const int OpcodeShift = 11;
    public const ushort OpcodeMask = 0x7800;

    /// <summary>The DNSSEC OK bit in the OPT record's TTL field; copied into the reply (RFC 3225).</summary>
    public const uint EdnsDoBit = 0x8000;
}
