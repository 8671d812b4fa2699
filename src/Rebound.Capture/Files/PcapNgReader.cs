using System.Buffers.Binary;

namespace Rebound.Capture.Files;

/// <summary>
/// The pcapng format (Wireshark's default): blocks of type, length, body, length. Reads section headers (either byte
/// order, several sections), interface descriptions (per-interface link type, snap length, <c>if_tsresol</c>,
/// <c>if_tsoffset</c>) and the enhanced, simple and obsolete packet blocks; skips every other block.
/// </summary>
public sealed class PcapNgReader : CaptureReader
{
    public const uint SectionHeaderType = 0x0A0D0D0A;
    private const uint InterfaceDescriptionType = 1;
    private const uint ObsoletePacketType = 2;
    private const uint SimplePacketType = 3;
    private const uint EnhancedPacketType = 6;
    private const uint ByteOrderMagic = 0x1A2B3C4D;

    /// <summary>Largest non-packet block accepted (name resolution and statistics blocks are small).</summary>
    private const int MaxBlockLength = MaxPacketLength + 64 * 1024;

    private readonly List<Interface> _interfaces = [];
    private byte[] _block = new byte[4096];
    private bool _bigEndian;
    private bool _sawBigEndian;
    private bool _sawLittleEndian;
    private bool _firstBlockPending = true;

    internal PcapNgReader(CaptureInput input)
        : base(input)
    {
    }

    public override string Format =>
        $"pcapng ({(_sawBigEndian && _sawLittleEndian ? "mixed" : _sawBigEndian ? "big" : "little")}-endian, {_interfaces.Count} interface(s) in the last section)";

    public override bool MoveNext()
    {
        while (true)
        {
            long start = _firstBlockPending ? 0 : Input.Offset;
            if (!ReadBlock(start, out uint type, out int bodyLength))
            {
                return false;
            }

            ReadOnlySpan<byte> body = _block.AsSpan(0, bodyLength);
            switch (type)
            {
                case SectionHeaderType:
                    break; // handled while reading (it sets the byte order)
                case InterfaceDescriptionType:
                    _interfaces.Add(ParseInterface(body, start));
                    break;
                case EnhancedPacketType:
                    ReadPacket(body, start, obsolete: false);
                    return true;
                case ObsoletePacketType:
                    ReadPacket(body, start, obsolete: true);
                    return true;
                case SimplePacketType:
                    ReadSimplePacket(body, start);
                    return true;
                default:
                    break; // name resolution, statistics, decryption secrets, custom…: not needed
            }
        }
    }

    /// <summary>Reads one whole block into <see cref="_block"/> (body only). False at a clean end of file.</summary>
    private bool ReadBlock(long start, out uint type, out int bodyLength)
    {
        Span<byte> header = stackalloc byte[8];
        type = 0;
        bodyLength = 0;
        if (_firstBlockPending)
        {
            // The magic (block type) was consumed by CaptureReader.Open.
            header[..4].Fill(0x0A);
            header[1] = 0x0D;
            header[2] = 0x0D;
            Input.ReadExactly(header[4..], "the section header block");
            _firstBlockPending = false;
        }
        else
        {
            int n = Input.ReadUpTo(header);
            if (n == 0)
            {
                return false;
            }

            if (n < 8)
            {
                throw new CaptureFormatException($"the file ends inside a block header ({n} of 8 bytes present)", start);
            }
        }

        type = ReadUInt32(header);
        if (type == SectionHeaderType)
        {
            // The byte order of this section is only known from the byte-order magic that follows the length.
            Span<byte> magic = stackalloc byte[4];
            Input.ReadExactly(magic, "the section header's byte-order magic");
            if (BinaryPrimitives.ReadUInt32LittleEndian(magic) == ByteOrderMagic)
            {
                _bigEndian = false;
                _sawLittleEndian = true;
            }
            else if (BinaryPrimitives.ReadUInt32BigEndian(magic) == ByteOrderMagic)
            {
                _bigEndian = true;
                _sawBigEndian = true;
            }
            else
            {
                throw new CaptureFormatException($"corrupt section header: byte-order magic 0x{BinaryPrimitives.ReadUInt32BigEndian(magic):x8} is neither 1a2b3c4d nor 4d3c2b1a", start + 8);
            }

            _interfaces.Clear();
            uint sectionLength = ReadUInt32(header[4..]);
            CheckBlockLength(sectionLength, 28, start);
            ReadRest((int)sectionLength - 16, sectionLength, start, "section header block");
            return true;
        }

        uint length = ReadUInt32(header[4..]);
        CheckBlockLength(length, 12, start);
        bodyLength = (int)length - 12;
        ReadRest(bodyLength, length, start, $"block of type 0x{type:x}");
        return true;
    }

    /// <summary>Reads <paramref name="bodyLength"/> body bytes and the trailing length, and checks it matches.</summary>
    private void ReadRest(int bodyLength, uint totalLength, long start, string what)
    {
        if (_block.Length < bodyLength + 4)
        {
            _block = new byte[Math.Max(bodyLength + 4, _block.Length * 2)];
        }

        Input.ReadExactly(_block.AsSpan(0, bodyLength + 4), what);
        uint trailing = ReadUInt32(_block.AsSpan(bodyLength));
        if (trailing != totalLength)
        {
            throw new CaptureFormatException($"corrupt {what}: trailing length {trailing} does not match the leading length", start);
        }
    }

    private static void CheckBlockLength(uint length, int minimum, long start)
    {
        if (length < minimum || length % 4 != 0 || length > MaxBlockLength)
        {
            throw new CaptureFormatException($"corrupt block length {length} (must be a multiple of 4 between {minimum} and {MaxBlockLength})", start);
        }
    }

    private Interface ParseInterface(ReadOnlySpan<byte> body, long start)
    {
        if (body.Length < 8)
        {
            throw new CaptureFormatException("corrupt interface description block: shorter than 8 bytes", start);
        }

        LinkType linkType = CheckLinkType(ReadUInt16(body), start + 8);
        uint snapLength = ReadUInt32(body[4..]);
        var result = new Interface(linkType, snapLength, UnitsPerSecond: 1_000_000, OffsetSeconds: 0);
        var options = new OptionReader(body[8..], this);
        while (options.MoveNext())
        {
            ushort code = options.Code;
            ReadOnlySpan<byte> value = options.Value;
            if (code == 9 && value.Length >= 1)
            {
                // if_tsresol: high bit clear = 10^-n, set = 2^-n seconds per unit.
                int exponent = value[0] & 0x7F;
                bool powerOfTwo = (value[0] & 0x80) != 0;
                if (powerOfTwo ? exponent > 63 : exponent > 18)
                {
                    throw new CaptureFormatException($"unsupported timestamp resolution if_tsresol=0x{value[0]:x2}", start);
                }

                result = result with { UnitsPerSecond = powerOfTwo ? 1UL << exponent : PowerOfTen(exponent) };
            }
            else if (code == 14 && value.Length >= 8)
            {
                result = result with { OffsetSeconds = (long)ReadUInt64(value) };
            }
        }

        return result;
    }

    /// <summary>Enhanced (type 6) and obsolete (type 2) packet blocks share a layout but for the interface id's width.</summary>
    private void ReadPacket(ReadOnlySpan<byte> body, long start, bool obsolete)
    {
        string what = obsolete ? "packet block" : "enhanced packet block";
        if (body.Length < 20)
        {
            throw new CaptureFormatException($"corrupt {what}: shorter than 20 bytes", start);
        }

        Interface ifc = InterfaceFor(obsolete ? ReadUInt16(body) : ReadUInt32(body), start);
        ulong units = ((ulong)ReadUInt32(body[4..]) << 32) | ReadUInt32(body[8..]);
        uint captured = ReadUInt32(body[12..]);
        if (captured > body.Length - 20)
        {
            throw new CaptureFormatException($"corrupt {what}: captured length {captured} exceeds the block", start);
        }

        SetPacket(ifc, units, body.Slice(20, (int)captured), ReadUInt32(body[16..]), start);
    }

    private void ReadSimplePacket(ReadOnlySpan<byte> body, long start)
    {
        if (body.Length < 4)
        {
            throw new CaptureFormatException("corrupt simple packet block: shorter than 4 bytes", start);
        }

        Interface ifc = InterfaceFor(0, start);
        uint original = ReadUInt32(body);
        long captured = Math.Min(original, body.Length - 4);
        if (ifc.SnapLength > 0)
        {
            captured = Math.Min(captured, ifc.SnapLength);
        }

        // A simple packet block has no timestamp.
        SetPacket(ifc with { UnitsPerSecond = 1, OffsetSeconds = 0 }, 0, body.Slice(4, (int)captured), original, start);
    }

    private void SetPacket(Interface ifc, ulong units, ReadOnlySpan<byte> data, uint original, long start)
    {
        data.CopyTo(PacketSpan(data.Length));
        FrameNumber++;
        RecordOffset = start;
        LinkType = ifc.LinkType;
        OriginalLength = (int)Math.Min(original, int.MaxValue);
        UInt128 nanoseconds = (UInt128)units * 1_000_000_000UL / ifc.UnitsPerSecond;
        TimestampNanoseconds = (long)(ulong)UInt128.Min(nanoseconds, long.MaxValue) + (ifc.OffsetSeconds * 1_000_000_000L);
    }

    private Interface InterfaceFor(uint id, long start) =>
        id < _interfaces.Count
            ? _interfaces[(int)id]
            : throw new CaptureFormatException($"packet refers to interface {id}, but the section describes only {_interfaces.Count}", start);

    private ushort ReadUInt16(ReadOnlySpan<byte> bytes) =>
        _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(bytes) : BinaryPrimitives.ReadUInt16LittleEndian(bytes);

    private uint ReadUInt32(ReadOnlySpan<byte> bytes) =>
        _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt32LittleEndian(bytes);

    private ulong ReadUInt64(ReadOnlySpan<byte> bytes) =>
        _bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(bytes) : BinaryPrimitives.ReadUInt64LittleEndian(bytes);

    /// <summary>One interface description: how to read the packets and timestamps that refer to it.</summary>
    private sealed record Interface(LinkType LinkType, uint SnapLength, ulong UnitsPerSecond, long OffsetSeconds);

    private static ulong PowerOfTen(int exponent)
    {
        ulong value = 1;
        for (int i = 0; i < exponent; i++)
        {
            value *= 10;
        }

        return value;
    }

    /// <summary>Walks a block's options (code, length, value padded to 4); stops at opt_endofopt or the end.</summary>
    private ref struct OptionReader
    {
        private readonly PcapNgReader _reader;
        private ReadOnlySpan<byte> _rest;

        public OptionReader(ReadOnlySpan<byte> options, PcapNgReader reader)
        {
            _rest = options;
            _reader = reader;
            Code = 0;
            Value = default;
        }

        public ushort Code { get; private set; }

        public ReadOnlySpan<byte> Value { get; private set; }

        public bool MoveNext()
        {
            if (_rest.Length < 4)
            {
                return false;
            }

            ushort code = _reader.ReadUInt16(_rest);
            int length = _reader.ReadUInt16(_rest[2..]);
            if (code == 0 || 4 + length > _rest.Length)
            {
                return false;
            }

            Code = code;
            Value = _rest.Slice(4, length);
            _rest = _rest[Math.Min(_rest.Length, 4 + ((length + 3) & ~3))..];
            return true;
        }
    }
}
