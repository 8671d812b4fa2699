using System.Buffers.Binary;

namespace Rebound.Capture.Files;

/// <summary>
/// A streaming reader over a pcap or pcapng file: <see cref="MoveNext"/> yields one packet at a time with its frame number
/// (1-based, counted as Wireshark does), timestamp and link type. Memory stays bounded whatever the file size. Every
/// problem with the file surfaces as a <see cref="CaptureFormatException"/> carrying the byte offset.
/// </summary>
public abstract class CaptureReader
{
    /// <summary>The largest packet record accepted; anything bigger is treated as corruption.</summary>
    public const int MaxPacketLength = 256 * 1024;

    private protected CaptureReader(CaptureInput input) => Input = input;

    /// <summary>"pcap" or "pcapng", with detail (byte order, timestamp precision).</summary>
    public abstract string Format { get; }

    /// <summary>The 1-based number of the current packet, counted as Wireshark counts frames.</summary>
    public long FrameNumber { get; private protected set; }

    /// <summary>The current packet's time in nanoseconds since the Unix epoch.</summary>
    public long TimestampNanoseconds { get; private protected set; }

    /// <summary>The current packet's link-layer header type.</summary>
    public LinkType LinkType { get; private protected set; }

    /// <summary>The packet's length on the wire (it may have been captured shorter).</summary>
    public int OriginalLength { get; private protected set; }

    /// <summary>The byte offset of the current packet's record in the file.</summary>
    public long RecordOffset { get; private protected set; }

    /// <summary>The captured bytes of the current packet (valid until the next <see cref="MoveNext"/>).</summary>
    public ReadOnlySpan<byte> Data => PacketBuffer.AsSpan(0, DataLength);

    private protected CaptureInput Input { get; }

    private protected byte[] PacketBuffer { get; set; } = new byte[65536];

    private protected int DataLength { get; set; }

    /// <summary>Advances to the next packet; false at the end of the file.</summary>
    /// <exception cref="CaptureFormatException">The file is truncated or corrupt.</exception>
    public abstract bool MoveNext();

    /// <summary>Recognizes the format from the first four bytes and returns a reader positioned before the first packet.</summary>
    /// <exception cref="CaptureFormatException">Empty file, unknown format, or a bad file header.</exception>
    public static CaptureReader Open(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var input = new CaptureInput(stream);
        Span<byte> magic = stackalloc byte[4];
        int n = input.ReadUpTo(magic);
        if (n == 0)
        {
            throw new CaptureFormatException("the file is empty (zero bytes): no capture was written", 0);
        }

        if (n < 4)
        {
            throw new CaptureFormatException($"the file is only {n} bytes long, too short for a capture file header", 0);
        }

        uint little = BinaryPrimitives.ReadUInt32LittleEndian(magic);
        if (little == PcapNgReader.SectionHeaderType)
        {
            return new PcapNgReader(input);
        }

        if (PcapReader.TryCreate(input, little) is PcapReader pcap)
        {
            return pcap;
        }

        throw new CaptureFormatException(
            $"not a pcap or pcapng file (magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(magic):x8}; expected a1b2c3d4, a1b23c4d or 0a0d0d0a)", 0);
    }

    /// <summary>Makes sure the packet buffer holds <paramref name="length"/> bytes (within <see cref="MaxPacketLength"/>).</summary>
    private protected Span<byte> PacketSpan(int length)
    {
        if (PacketBuffer.Length < length)
        {
            PacketBuffer = new byte[Math.Max(length, PacketBuffer.Length * 2)];
        }

        DataLength = length;
        return PacketBuffer.AsSpan(0, length);
    }

    /// <summary>Throws for link types <see cref="PacketDecoder"/> does not understand.</summary>
    private protected static LinkType CheckLinkType(uint value, long offset)
    {
        // pcap's link-type field keeps FCS information in the top bits; the type is the low 16.
        var type = (LinkType)(value & 0xFFFF);
        return Enum.IsDefined(type)
            ? type
            : throw new CaptureFormatException(
                $"unsupported link type {value & 0xFFFF} (supported: Ethernet 1, raw IP 101/228/229, loopback 0/108, Linux cooked SLL 113 and SLL2 276)", offset);
    }
}
