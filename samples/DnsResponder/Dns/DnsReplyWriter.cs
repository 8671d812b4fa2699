using System.Buffers.Binary;

namespace DnsResponder.Dns;

/// <summary>
/// Appends a DNS reply into a caller's buffer, never past a size limit (the client's UDP payload size). Section counts
/// are written at the end by <see cref="Finish"/>. Allocates nothing.
/// </summary>
internal ref struct DnsReplyWriter
{
    private readonly Span<byte> _buffer;
    private readonly int _limit;
    private int _position;

    public DnsReplyWriter(Span<byte> buffer, int limit)
    {
        _buffer = buffer;
        _limit = Math.Min(limit, buffer.Length);
        _position = DnsConstants.HeaderLength;
    }

    /// <summary>Bytes still free under the limit.</summary>
    public readonly int Remaining => _limit - _position;

    /// <summary>Where the next byte goes; used to compute compression pointers.</summary>
    public readonly int Position => _position;

    /// <summary>Copies <paramref name="bytes"/> in; the caller checked <see cref="Remaining"/>.</summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buffer[_position..]);
        _position += bytes.Length;
    }

    public void AppendUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[_position..], value);
        _position += 2;
    }

    public void AppendUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_buffer[_position..], value);
        _position += 4;
    }

    /// <summary>A compression pointer to the name at <paramref name="offset"/> (RFC 1035 §4.1.4).</summary>
    public void AppendPointer(int offset) => AppendUInt16((ushort)(0xC000 | offset));

    /// <summary>One label followed by a pointer to the rest of the name.</summary>
    public void AppendLabelThenPointer(ReadOnlySpan<byte> label, int offset)
    {
        _buffer[_position++] = (byte)label.Length;
        Append(label);
        AppendPointer(offset);
    }

    /// <summary>An EDNS0 OPT record advertising our payload size, with an extended RCODE and the DO bit.</summary>
    public void AppendOpt(byte extendedRcode, bool dnssecOk)
    {
        _buffer[_position++] = 0; // root owner
        AppendUInt16(DnsConstants.TypeOpt);
        AppendUInt16(DnsConstants.MaxUdpPayload);
        AppendUInt32(((uint)extendedRcode << 24) | (dnssecOk ? DnsConstants.EdnsDoBit : 0));
        AppendUInt16(0);
    }

    /// <summary>Writes the header and returns the reply's length.</summary>
    public readonly int Finish(ushort id, ushort flags, int rcode, int questions, int answers, int authorities, int additionals)
    {
        Span<byte> header = _buffer[..DnsConstants.HeaderLength];
        BinaryPrimitives.WriteUInt16BigEndian(header, id);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)(flags | (rcode & 0xF)));
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], (ushort)questions);
        BinaryPrimitives.WriteUInt16BigEndian(header[6..], (ushort)answers);
        BinaryPrimitives.WriteUInt16BigEndian(header[8..], (ushort)authorities);
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], (ushort)additionals);
        return _position;
    }

    /// <summary>Size of an OPT record.</summary>
    public const int OptLength = 11;
}
