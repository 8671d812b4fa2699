using static Rebound.Interop.LinuxConstants;

namespace Rebound.Interop;

/// <summary>
/// Turns what recvmsg returned (flags, sender address bytes, control bytes) into a <see cref="ReceivedDatagram"/>, and
/// decides the source and interface a reply must carry. Pure, so both are tested without sockets.
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
        SocketAddressCodec.TryRead(name, out UdpEndpoint remote);
        bool truncated = (messageFlags & MSG_TRUNC) != 0;

        UdpEndpoint local = default;
        UdpEndpoint replySource = default;
        int interfaceIndex = 0;
        UnanswerableReason problem = UnanswerableReason.None;
        bool group = false;

        if (remote.IsIPv4 || remote.IsIPv4MappedToIPv6)
        {
            // An IPv4 datagram. IP_PKTINFO's ipi_spec_dst is the right reply source even for broadcast and multicast;
            // on a dual-stack socket the IPV6_PKTINFO copy is v4-mapped and only a fallback.
            if (info.HasV4)
            {
                local = MatchFamily(info.V4Destination, remote);
                replySource = MatchFamily(info.V4SpecificDestination, remote);
                interfaceIndex = info.V4InterfaceIndex;

                // The kernel sets ipi_spec_dst to the header's destination for a local unicast address, and to a unicast
                // address of the interface for broadcast and multicast: a difference means the datagram went to a group.
                group = local.IsMulticast || local.IsLimitedBroadcast || !info.V4Destination.HasSameAddress(info.V4SpecificDestination);
            }
            else if (info.HasV6 && info.V6Destination.IsIPv4MappedToIPv6)
            {
                local = info.V6Destination;
                replySource = local;
                interfaceIndex = info.V6InterfaceIndex;
                group = local.IsMulticast || local.IsLimitedBroadcast;
            }
            else
            {
                problem = UnanswerableReason.MissingPacketInfo;
            }
        }
        else if (info.HasV6)
        {
            local = info.V6Destination;
            interfaceIndex = info.V6InterfaceIndex;
            replySource = local.IsMulticast ? default(UdpEndpoint).MapToIPv6() : local;
            group = local.IsMulticast;
            if (local.IsIPv6LinkLocal)
            {
                local = local.WithScopeId((uint)interfaceIndex);
                replySource = local;
            }
        }
        else
        {
            problem = UnanswerableReason.MissingPacketInfo;
        }

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

    /// <summary>
    /// The interface index to put into a reply's pktinfo. IPv4 keeps 0: a non-zero ifindex changes routing. IPv6 needs
    /// the arrival interface when the source is link-local (the address means nothing without it) or unspecified
    /// (multicast requests: the kernel then picks a source on that interface).
    /// </summary>
    public static int ReplyInterface(UdpEndpoint replySource, int arrivalInterface)
    {
        if (replySource.IsIPv4 || replySource.IsIPv4MappedToIPv6)
        {
            return 0;
        }

        return replySource.IsIPv6LinkLocal || replySource.IsUnspecified ? arrivalInterface : 0;
    }

    private static UdpEndpoint MatchFamily(UdpEndpoint v4, UdpEndpoint remote) => remote.IsIPv4 ? v4 : v4.MapToIPv6();
}
