using System.Buffers.Binary;

namespace Rebound.Capture.Files;

/// <summary>
/// The classic libpcap format (what <c>tcpdump -w</c> writes): a 24-byte file header, then 16-byte record headers each
/// followed by the packet. Either byte order; microsecond or nanosecond timestamps (told apart by the magic number).
/// </summary>
public sealed class PcapReader : CaptureReader
{
    private const uint MagicMicroseconds = 0xA1B2C3D4;
    private const uint MagicNanoseconds = 0xA1B23C4D;

    private readonly bool _bigEndian;
    private readonly bool _nanoseconds;
    private readonly LinkType _linkType;
    private readonly byte[] _header = new byte[16];

    private PcapReader(CaptureInput input, bool bigEndian, bool nanoseconds, LinkType linkType)
        : base(input)
    {
        _bigEndian = bigEndian;
        _nanoseconds = nanoseconds;
        _linkType = linkType;
    }

    public override string Format =>
        $"pcap ({(_bigEndian ? "big" : "little")}-endian, {(_nanoseconds ? "nanosecond" : "microsecond")} timestamps, link type {_linkType})";

    /// <summary>Reads the rest of the file header when <paramref name="magicLittleEndian"/> is a pcap magic number; null otherwise.</summary>
    internal static PcapReader? TryCreate(CaptureInput input, uint magicLittleEndian)
    {
        bool bigEndian;
        bool nanoseconds;
        switch (magicLittleEndian)
        {
            case MagicMicroseconds: bigEndian = false; nanoseconds = false; break;
            case MagicNanoseconds: bigEndian = false; nanoseconds = true; break;
            case 0xD4C3B2A1: bigEndian = true; nanoseconds = false; break;
            case 0x4D3CB2A1: bigEndian = true; nanoseconds = true; break;
            default: return null;
        }

        Span<byte> rest = stackalloc byte[20];
        input.ReadExactly(rest, "the pcap file header");
        ushort major = bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(rest) : BinaryPrimitives.ReadUInt16LittleEndian(rest);
        if (major != 2)
        {
            throw new CaptureFormatException($"unsupported pcap version {major} (only version 2 exists)", 4);
        }

        uint network = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(rest[16..]) : BinaryPrimitives.ReadUInt32LittleEndian(rest[16..]);
        return new PcapReader(input, bigEndian, nanoseconds, CheckLinkType(network, 20));
    }

    public override bool MoveNext()
    {
        long start = Input.Offset;
        int n = Input.ReadUpTo(_header);
        if (n == 0)
        {
            return false;
        }

        if (n < _header.Length)
        {
            throw new CaptureFormatException($"the file ends inside a packet record header ({n} of 16 bytes present)", start);
        }

        uint seconds = Read(_header);
        uint fraction = Read(_header.AsSpan(4));
        uint captured = Read(_header.AsSpan(8));
        uint original = Read(_header.AsSpan(12));
        if (captured > MaxPacketLength)
        {
            throw new CaptureFormatException($"corrupt packet record: captured length {captured} exceeds {MaxPacketLength}", start);
        }

        if (fraction >= (_nanoseconds ? 1_000_000_000u : 1_000_000u))
        {
            throw new CaptureFormatException($"corrupt packet record: sub-second timestamp {fraction} out of range", start);
        }

        Input.ReadExactly(PacketSpan((int)captured), $"packet {FrameNumber + 1} ({captured} bytes)");
        FrameNumber++;
        RecordOffset = start;
        LinkType = _linkType;
        OriginalLength = (int)Math.Min(original, int.MaxValue);
        TimestampNanoseconds = (seconds * 1_000_000_000L) + (_nanoseconds ? fraction : fraction * 1000L);
        return true;
    }

    private uint Read(ReadOnlySpan<byte> bytes) =>
        _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt32LittleEndian(bytes);
}
