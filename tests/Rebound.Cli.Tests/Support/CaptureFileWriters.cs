using System.Buffers.Binary;
using Rebound.Capture;

namespace Rebound.Cli.Tests.Support;

/// <summary>Writes classic pcap files byte by byte (either byte order, micro- or nanosecond), for reader tests.</summary>
internal sealed class PcapFileBuilder(LinkType linkType, bool bigEndian = false, bool nanoseconds = false, uint snapLength = 262144)
{
    private readonly MemoryStream _bytes = Header(linkType, bigEndian, nanoseconds, snapLength);

    public PcapFileBuilder Add(long timestampNanoseconds, byte[] frame, int? originalLength = null)
    {
        long seconds = timestampNanoseconds / 1_000_000_000;
        long fraction = timestampNanoseconds % 1_000_000_000;
        Span<byte> header = stackalloc byte[16];
        Write(header, (uint)seconds);
        Write(header[4..], (uint)(nanoseconds ? fraction : fraction / 1000));
        Write(header[8..], (uint)frame.Length);
        Write(header[12..], (uint)(originalLength ?? frame.Length));
        _bytes.Write(header);
        _bytes.Write(frame);
        return this;
    }

    public byte[] ToArray() => _bytes.ToArray();

    private void Write(Span<byte> span, uint value) => ByteOrder.Put32(span, value, bigEndian);

    private static MemoryStream Header(LinkType linkType, bool bigEndian, bool nanoseconds, uint snapLength)
    {
        var stream = new MemoryStream();
        Span<byte> header = stackalloc byte[24];
        ByteOrder.Put32(header, nanoseconds ? 0xA1B23C4D : 0xA1B2C3D4, bigEndian);
        ByteOrder.Put16(header[4..], 2, bigEndian);
        ByteOrder.Put16(header[6..], 4, bigEndian);
        ByteOrder.Put32(header[16..], snapLength, bigEndian);
        ByteOrder.Put32(header[20..], (uint)linkType, bigEndian);
        stream.Write(header);
        return stream;
    }
}

/// <summary>Writes pcapng files block by block (sections, interfaces with options, EPB/SPB/obsolete PB, unknown blocks).</summary>
internal sealed class PcapNgFileBuilder(bool bigEndian = false)
{
    private readonly MemoryStream _bytes = new();

    /// <summary>Starts a section (and forgets earlier interfaces).</summary>
    public PcapNgFileBuilder Section()
    {
        byte[] body = new byte[16];
        Put32(body, 0x1A2B3C4D);
        Put16(body.AsSpan(4), 1);
        Put16(body.AsSpan(6), 0);
        BinaryPrimitives.WriteInt64LittleEndian(body.AsSpan(8), -1); // section length unknown (same in both orders)
        return Block(0x0A0D0D0A, body);
    }

    /// <summary>An interface description; <paramref name="tsresol"/> is the raw if_tsresol byte (null: default µs).</summary>
    public PcapNgFileBuilder Interface(LinkType linkType, byte? tsresol = null, long? tsoffsetSeconds = null, uint snapLength = 0)
    {
        var body = new List<byte>(new byte[8]);
        byte[] fixedPart = new byte[8];
        Put16(fixedPart, (ushort)linkType);
        Put32(fixedPart.AsSpan(4), snapLength);
        body.Clear();
        body.AddRange(fixedPart);
        AddOption(body, 2, "eth-test"u8.ToArray()); // if_name, to have an option to skip
        if (tsresol is byte r)
        {
            AddOption(body, 9, [r]);
        }

        if (tsoffsetSeconds is long o)
        {
            byte[] value = new byte[8];
            ByteOrder.Put32(value, (uint)(bigEndian ? o >> 32 : o), bigEndian);
            ByteOrder.Put32(value.AsSpan(4), (uint)(bigEndian ? o : o >> 32), bigEndian);

            AddOption(body, 14, value);
        }

        AddOption(body, 0, []);
        return Block(1, [.. body]);
    }

    public PcapNgFileBuilder Enhanced(uint interfaceId, ulong units, byte[] frame) => PacketBlock(6, interfaceId, units, frame);

    /// <summary>The obsolete packet block (type 2): as the enhanced one, but a 16-bit interface id and a drop count.</summary>
    public PcapNgFileBuilder Obsolete(ushort interfaceId, ulong units, byte[] frame) => PacketBlock(2, interfaceId, units, frame);

    public PcapNgFileBuilder Simple(byte[] frame)
    {
        byte[] body = new byte[4 + Pad(frame.Length)];
        Put32(body, (uint)frame.Length);
        frame.CopyTo(body.AsSpan(4));
        return Block(3, body);
    }

    /// <summary>A block the reader must skip (e.g. 4 = name resolution, 5 = interface statistics, 0x40000BAD = custom).</summary>
    public PcapNgFileBuilder Other(uint type, int bodyLength = 12) => Block(type, new byte[Pad(bodyLength)]);

    public byte[] ToArray() => _bytes.ToArray();

    public void Put16(Span<byte> span, ushort value) => ByteOrder.Put16(span, value, bigEndian);

    public void Put32(Span<byte> span, uint value) => ByteOrder.Put32(span, value, bigEndian);

    private PcapNgFileBuilder PacketBlock(uint type, uint interfaceId, ulong units, byte[] frame)
    {
        byte[] body = new byte[20 + Pad(frame.Length)];
        if (type == 2)
        {
            Put16(body, (ushort)interfaceId);
        }
        else
        {
            Put32(body, interfaceId);
        }

        Put32(body.AsSpan(4), (uint)(units >> 32));
        Put32(body.AsSpan(8), (uint)units);
        Put32(body.AsSpan(12), (uint)frame.Length);
        Put32(body.AsSpan(16), (uint)frame.Length);
        frame.CopyTo(body.AsSpan(20));
        return Block(type, body);
    }

    private PcapNgFileBuilder Block(uint type, byte[] body)
    {
        byte[] head = new byte[8];
        Put32(head, type);
        Put32(head.AsSpan(4), (uint)(body.Length + 12));
        _bytes.Write(head);
        _bytes.Write(body);
        _bytes.Write(head.AsSpan(4));
        return this;
    }

    private void AddOption(List<byte> body, ushort code, byte[] value)
    {
        byte[] head = new byte[4];
        Put16(head, code);
        Put16(head.AsSpan(2), (ushort)value.Length);
        body.AddRange(head);
        body.AddRange(value);
        body.AddRange(new byte[Pad(value.Length) - value.Length]);
    }

    private static int Pad(int length) => (length + 3) & ~3;
}

/// <summary>Writes integers in a chosen byte order (capture files may be either).</summary>
internal static class ByteOrder
{
    public static void Put16(Span<byte> span, ushort value, bool bigEndian)
    {
        if (bigEndian)
        {
            BinaryPrimitives.WriteUInt16BigEndian(span, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(span, value);
        }
    }

    public static void Put32(Span<byte> span, uint value, bool bigEndian)
    {
        if (bigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(span, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span, value);
        }
    }
}
