using System.Runtime.CompilerServices;
using Rebound.Interop;

namespace Rebound;

/// <summary>
/// The one place that decides which source address and which interface index a datagram leaves with: at receive time
/// for a reply (stored in the <see cref="ReceivedDatagram"/>, so every reply path just encodes it), and at send time
/// for <see cref="ReboundSocket.SendFrom(UdpEndPoint, UdpEndPoint, ReadOnlySpan{byte}, int)"/>. The cmsg encoder writes
/// what it is given; the rules are here and in docs/architecture.md ("pktinfo rules").
/// </summary>
internal static class ReplyPolicy
{
    /// <summary>
    /// From a request's pktinfo: the address it was sent to, the source its reply leaves from, and the interface it
    /// arrived on. False when the pktinfo that the request's family needs is missing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryDecide(in PacketInfo info, UdpEndPoint remote, out UdpEndPoint local, out UdpEndPoint replySource, out int arrivalInterface)
    {
        local = default;
        replySource = default;
        arrivalInterface = 0;
        if (remote.IsIPv4 || remote.IsIPv4MappedToIPv6)
        {
            // An IPv4 datagram. IP_PKTINFO's ipi_spec_dst is the right reply source even for broadcast and multicast;
            // on a dual-stack socket the IPV6_PKTINFO copy is v4-mapped and only a fallback.
            if (info.HasV4)
            {
                local = MatchFamily(info.V4Destination, remote);
                replySource = MatchFamily(info.V4SpecificDestination, remote);
                arrivalInterface = info.V4InterfaceIndex;
                return true;
            }

            if (info.HasV6 && info.V6Destination.IsIPv4MappedToIPv6)
            {
                local = info.V6Destination;
                replySource = local;
                arrivalInterface = info.V6InterfaceIndex;
                return true;
            }

            return false;
        }

        if (!info.HasV6)
        {
            return false;
        }

        local = info.V6Destination;
        arrivalInterface = info.V6InterfaceIndex;
        replySource = local.IsMulticast ? default(UdpEndPoint).MapToIPv6() : local;
        if (local.IsIPv6LinkLocal)
        {
            local = local.WithScopeId((uint)arrivalInterface);
            replySource = local;
        }

        return true;
    }

    /// <summary>
    /// The interface index a datagram from <paramref name="source"/> carries in its pktinfo. IPv4 always 0: a non-zero
    /// ifindex changes routing. IPv6 only when the source needs one: link-local (the address means nothing without its
    /// interface: <paramref name="interfaceIndex"/>, else the source's scope) or unspecified (IPv6 multicast requests:
    /// the kernel then picks a source on that interface). 0 otherwise, so routing decides as usual.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int InterfaceFor(UdpEndPoint source, int interfaceIndex)
    {
        if (source.IsIPv4 || source.IsIPv4MappedToIPv6)
        {
            return 0;
        }

        if (source.IsIPv6LinkLocal)
        {
            return interfaceIndex != 0 ? interfaceIndex : (int)source.ScopeId;
        }

        return source.IsUnspecified ? interfaceIndex : 0;
    }

    private static UdpEndPoint MatchFamily(UdpEndPoint v4, UdpEndPoint remote) => remote.IsIPv4 ? v4 : v4.MapToIPv6();
}
