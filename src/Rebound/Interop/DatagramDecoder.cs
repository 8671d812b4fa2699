using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using static Rebound.Interop.LinuxConstants;

namespace Rebound.Interop;

/// <summary>
/// Turns what recvmsg returned (flags, sender address bytes, control bytes) into a <see cref="ReceivedDatagram"/>; the
/// source and interface its reply carries come from <see cref="ReplyPolicy"/>. Pure, so it is tested without sockets.
/// </summary>
/// <remarks>
/// An IPv4 socket's datagram almost always arrives with exactly one IP_PKTINFO message; <see cref="TryDecodeIPv4"/>
/// reads that shape in one pass, straight into the result, and hands every other shape (dual-stack, IPv6, extra or
/// malformed messages, MSG_CTRUNC) to the general decoder. Both give the same result for the shapes the fast one takes.
/// </remarks>
internal static class DatagramDecoder
{
    /// <summary><c>CMSG_LEN(sizeof(struct in_pktinfo))</c>: the header length of the kernel's IP_PKTINFO message.</summary>
    private const int InPacketInfoMessageLength = ControlMessages.HeaderSize + ControlMessages.InPacketInfoSize;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ReceivedDatagram Decode(
        int length,
        int messageFlags,
        ReadOnlySpan<byte> name,
        ReadOnlySpan<byte> control,
        ushort localPort) =>
        TryDecodeIPv4(length, messageFlags, name, control, localPort, out ReceivedDatagram datagram)
            ? datagram
            : DecodeGeneral(length, messageFlags, name, control, localPort);

    /// <summary>
    /// The single-pass path: an AF_INET sender and a control buffer holding exactly one well-formed IP_PKTINFO message
    /// (nothing after it that the general decoder would read), no MSG_CTRUNC. False (and nothing decided) otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool TryDecodeIPv4(
        int length,
        int messageFlags,
        ReadOnlySpan<byte> name,
        ReadOnlySpan<byte> control,
        ushort localPort,
        out ReceivedDatagram datagram)
    {
        // The general decoder reads a second message only if 16 bytes follow the first one's aligned end (32).
        if ((messageFlags & MSG_CTRUNC) != 0 ||
            name.Length < SizeOfSockAddrIn ||
            control.Length < InPacketInfoMessageLength ||
            control.Length >= ControlMessages.Space(ControlMessages.InPacketInfoSize) + ControlMessages.HeaderSize ||
            BinaryPrimitives.ReadUInt16LittleEndian(name) != AF_INET ||
            BinaryPrimitives.ReadUInt64LittleEndian(control) != InPacketInfoMessageLength ||
            BinaryPrimitives.ReadInt32LittleEndian(control[8..]) != SOL_IP ||
            BinaryPrimitives.ReadInt32LittleEndian(control[12..]) != IP_PKTINFO)
        {
            datagram = default;
            return false;
        }

        // in_pktinfo: int ipi_ifindex, in_addr ipi_spec_dst (the reply source), in_addr ipi_addr (the header's destination).
        ReadOnlySpan<byte> data = control.Slice(ControlMessages.HeaderSize, ControlMessages.InPacketInfoSize);
        int interfaceIndex = BinaryPrimitives.ReadInt32LittleEndian(data);
        uint specificDestination = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        uint destination = BinaryPrimitives.ReadUInt32BigEndian(data[8..]);
        uint replySource = ReplyPolicy.IPv4ReplySource(destination, specificDestination, out bool group);
        datagram = new ReceivedDatagram(
            length,
            UdpEndPoint.FromIPv4(BinaryPrimitives.ReadUInt32BigEndian(name[4..]), BinaryPrimitives.ReadUInt16BigEndian(name[2..])),
            UdpEndPoint.FromIPv4(destination, localPort),
            UdpEndPoint.FromIPv4(replySource, localPort),
            interfaceIndex,
            (messageFlags & MSG_TRUNC) != 0,
            UnanswerableReason.None,
            group);
        return true;
    }

    /// <summary>Decodes any shape: every control message, the reply policy, and every way the input can be wrong.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static ReceivedDatagram DecodeGeneral(
        int length,
        int messageFlags,
        ReadOnlySpan<byte> name,
        ReadOnlySpan<byte> control,
        ushort localPort)
    {
        PacketInfo info = ControlMessages.Read(control);
        SocketAddressCodec.TryRead(name, out UdpEndPoint remote);
        bool truncated = (messageFlags & MSG_TRUNC) != 0;

        UnanswerableReason problem = ReplyPolicy.TryDecide(info, remote, out UdpEndPoint local, out UdpEndPoint replySource, out int interfaceIndex, out bool group)
            ? UnanswerableReason.None
            : UnanswerableReason.MissingPacketInfo;

        if ((messageFlags & MSG_CTRUNC) != 0)
        {
            problem = UnanswerableReason.ControlDataTruncated;
        }
        else if (info.Malformed)
        {
            problem = UnanswerableReason.MalformedControlData;
        }

        return new ReceivedDatagram(length, remote, local.WithPort(localPort), replySource.WithPort(localPort), interfaceIndex, truncated, problem, group);
    }
}
