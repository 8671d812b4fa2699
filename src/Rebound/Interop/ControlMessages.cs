using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using static Rebound.Interop.LinuxConstants;

namespace Rebound.Interop;

/// <summary>
/// The cmsg codec: encodes the pktinfo control message a reply carries, and decodes the ones a request arrives with.
/// Pure span code with the LP64 Linux layout (<c>cmsghdr</c> is a 16-byte header: size_t len, int level, int type;
/// payloads are aligned to 8 bytes), so it can be tested on bytes without a socket.
/// </summary>
internal static class ControlMessages
{
    public const int HeaderSize = 16;
    private const int Alignment = 8;

    /// <summary><c>sizeof(struct in_pktinfo)</c>: int ifindex, in_addr spec_dst, in_addr addr.</summary>
    public const int InPacketInfoSize = 12;

    /// <summary><c>sizeof(struct in6_pktinfo)</c>: in6_addr addr, unsigned int ifindex.</summary>
    public const int In6PacketInfoSize = 20;

    /// <summary>
    /// Control buffer size for receiving. A dual-stack socket gets IP_PKTINFO and IPV6_PKTINFO for an IPv4 datagram,
    /// 32 + 40 = 72 bytes. The rest is headroom so an unexpected extra cmsg does not truncate.
    /// </summary>
    public const int ReceiveBufferSize = 160;

    /// <summary><c>sizeof(__u16)</c>: UDP_SEGMENT's segment size.</summary>
    public const int SegmentSizeSize = 2;

    /// <summary>Control buffer size for sending: one pktinfo message (40 bytes at most) and a UDP_SEGMENT message (24).</summary>
    public const int SendBufferSize = 64;

    /// <summary><c>CMSG_ALIGN</c>.</summary>
    public static int Align(int length) => (length + Alignment - 1) & ~(Alignment - 1);

    /// <summary><c>CMSG_LEN</c>: header plus payload, unpadded.</summary>
    public static int Length(int payload) => HeaderSize + payload;

    /// <summary><c>CMSG_SPACE</c>: header plus padded payload.</summary>
    public static int Space(int payload) => HeaderSize + Align(payload);

    /// <summary>
    /// Writes the control message that makes a datagram leave from <paramref name="source"/> with the interface index
    /// <see cref="ReplyPolicy.InterfaceFor"/> chose: IP_PKTINFO with <c>ipi_spec_dst</c> for IPv4 (and v4-mapped sources
    /// on a dual-stack socket), IPV6_PKTINFO for IPv6. It encodes what it is given and decides nothing.
    /// </summary>
    /// <returns>The control length to pass as <c>msg_controllen</c>.</returns>
    /// <exception cref="ArgumentException">The destination span is too short.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int WriteSource(UdpEndPoint source, int interfaceIndex, Span<byte> destination)
    {
        if (source.IsIPv4 || source.IsIPv4MappedToIPv6)
        {
            int space = Space(InPacketInfoSize);
            Span<byte> message = Take(destination, space);
            WriteHeader(message, Length(InPacketInfoSize), SOL_IP, IP_PKTINFO);
            Span<byte> data = message[HeaderSize..];
            BinaryPrimitives.WriteInt32LittleEndian(data, interfaceIndex);
            source.V4Bytes.CopyTo(data[4..]);
            data.Slice(8, 4).Clear();
            return space;
        }
        else
        {
            int space = Space(In6PacketInfoSize);
            Span<byte> message = Take(destination, space);
            WriteHeader(message, Length(In6PacketInfoSize), SOL_IPV6, IPV6_PKTINFO);
            Span<byte> data = message[HeaderSize..];
            source.Bytes.CopyTo(data);
            BinaryPrimitives.WriteInt32LittleEndian(data[16..], interfaceIndex);
            return space;
        }
    }

    /// <summary>
    /// Writes a UDP_SEGMENT control message: the kernel cuts the send's payload into datagrams of
    /// <paramref name="segmentSize"/> bytes (the last may be shorter). It encodes what it is given and decides nothing.
    /// </summary>
    /// <returns>The bytes written (<c>CMSG_SPACE(2)</c>), to add to <c>msg_controllen</c>.</returns>
    /// <exception cref="ArgumentException">The destination span is too short.</exception>
    public static int WriteSegmentSize(ushort segmentSize, Span<byte> destination)
    {
        int space = Space(SegmentSizeSize);
        Span<byte> message = Take(destination, space);
        WriteHeader(message, Length(SegmentSizeSize), SOL_UDP, UDP_SEGMENT);
        BinaryPrimitives.WriteUInt16LittleEndian(message[HeaderSize..], segmentSize);
        return space;
    }

    /// <summary>
    /// Decodes the control messages the kernel returned. Never throws: unknown messages are skipped, and a message
    /// whose header is inconsistent with the buffer stops decoding and sets <see cref="PacketInfo.Malformed"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static PacketInfo Read(ReadOnlySpan<byte> control)
    {
        PacketInfo info = default;
        int offset = 0;
        while (control.Length - offset >= HeaderSize)
        {
            ReadOnlySpan<byte> rest = control[offset..];
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(rest);
            if (length < HeaderSize || length > (ulong)rest.Length)
            {
                info.Malformed = true;
                return info;
            }

            int level = BinaryPrimitives.ReadInt32LittleEndian(rest[8..]);
            int type = BinaryPrimitives.ReadInt32LittleEndian(rest[12..]);
            ReadOnlySpan<byte> data = rest[HeaderSize..(int)length];
            if (!Decode(level, type, data, ref info))
            {
                info.Malformed = true;
                return info;
            }

            offset += Align((int)length);
        }

        return info;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Decode(int level, int type, ReadOnlySpan<byte> data, ref PacketInfo info)
    {
        switch (level, type)
        {
            case (SOL_IP, IP_PKTINFO):
                if (data.Length < InPacketInfoSize)
                {
                    return false;
                }

                info.HasV4 = true;
                info.V4InterfaceIndex = BinaryPrimitives.ReadInt32LittleEndian(data);
                info.V4SpecificDestination = UdpEndPoint.FromIPv4(data.Slice(4, 4), 0);
                info.V4Destination = UdpEndPoint.FromIPv4(data.Slice(8, 4), 0);
                return true;
            case (SOL_IPV6, IPV6_PKTINFO):
                if (data.Length < In6PacketInfoSize)
                {
                    return false;
                }

                info.HasV6 = true;
                info.V6InterfaceIndex = BinaryPrimitives.ReadInt32LittleEndian(data[16..]);
                info.V6Destination = UdpEndPoint.FromIPv6(data[..16], 0);
                return true;
            default:
                return true;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Span<byte> Take(Span<byte> destination, int space)
    {
        if (destination.Length < space)
        {
            throw new ArgumentException($"The control buffer needs {space} bytes, got {destination.Length}.", nameof(destination));
        }

        Span<byte> message = destination[..space];
        message.Clear();
        return message;
    }

    private static void WriteHeader(Span<byte> message, int length, int level, int type)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(message, (ulong)length);
        BinaryPrimitives.WriteInt32LittleEndian(message[8..], level);
        BinaryPrimitives.WriteInt32LittleEndian(message[12..], type);
    }
}
