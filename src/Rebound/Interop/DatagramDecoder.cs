using System.Runtime.CompilerServices;
using static Rebound.Interop.LinuxConstants;

namespace Rebound.Interop;

/// <summary>
/// Turns what recvmsg returned (flags, sender address bytes, control bytes) into a <see cref="ReceivedDatagram"/>; the
/// source and interface its reply carries come from <see cref="ReplyPolicy"/>. Pure, so it is tested without sockets.
/// </summary>
internal static class DatagramDecoder
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ReceivedDatagram Decode(
        int length,
        int messageFlags,
        ReadOnlySpan<byte> name,
        ReadOnlySpan<byte> control,
        ushort localPort)
    {
        PacketInfo info = ControlMessages.Read(control);
        SocketAddressCodec.TryRead(name, out UdpEndPoint remote);
        bool truncated = (messageFlags & MSG_TRUNC) != 0;

        UnanswerableReason problem = ReplyPolicy.TryDecide(info, remote, out UdpEndPoint local, out UdpEndPoint replySource, out int interfaceIndex)
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

        // The kernel sets ipi_spec_dst to the header's destination for a local unicast address, and to a unicast address of
        // the interface for broadcast and multicast: a difference means the datagram went to a group.
        bool group = local.IsMulticast || local.IsLimitedBroadcast ||
            (info.HasV4 && (remote.IsIPv4 || remote.IsIPv4MappedToIPv6) && !info.V4Destination.HasSameAddress(info.V4SpecificDestination));
        return new ReceivedDatagram(length, remote, local.WithPort(localPort), replySource.WithPort(localPort), interfaceIndex, truncated, problem, group);
    }
}
