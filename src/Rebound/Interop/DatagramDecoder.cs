using static Rebound.Interop.LinuxConstants;

namespace Rebound.Interop;

/// <summary>
/// Turns what recvmsg returned (flags, sender address bytes, control bytes) into a <see cref="ReceivedDatagram"/>; the
/// source and interface its reply carries come from <see cref="ReplyPolicy"/>. Pure, so it is tested without sockets.
/// </summary>
internal static class DatagramDecoder
{
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

        return new ReceivedDatagram(length, remote, local.WithPort(localPort), replySource.WithPort(localPort), interfaceIndex, truncated, problem);
    }
}
