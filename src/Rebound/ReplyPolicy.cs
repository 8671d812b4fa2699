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
    /// From a request's pktinfo: the address it was sent to, the source its reply leaves from, the interface it
    /// arrived on, and whether it was sent to a group (multicast or broadcast). False when the pktinfo that the
    /// request's family needs is missing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryDecide(in PacketInfo info, UdpEndPoint remote, out UdpEndPoint local, out UdpEndPoint replySource, out int arrivalInterface, out bool toGroup)
    {
        local = default;
        replySource = default;
        arrivalInterface = 0;
        toGroup = false;
        if (remote.IsIPv4 || remote.IsIPv4MappedToIPv6)
        {
            // An IPv4 datagram. IP_PKTINFO's ipi_spec_dst is the right reply source even for broadcast and multicast;
            // on a dual-stack socket the IPV6_PKTINFO copy is v4-mapped and only a fallback.
            if (info.HasV4)
            {
                uint source = IPv4ReplySource(info.V4Destination.IPv4Value, info.V4SpecificDestination.IPv4Value, out toGroup);
                local = MatchFamily(info.V4Destination, remote);
                replySource = MatchFamily(UdpEndPoint.FromIPv4(source, 0), remote);
                arrivalInterface = info.V4InterfaceIndex;
                return true;
            }

            if (info.HasV6 && info.V6Destination.IsIPv4MappedToIPv6)
            {
                local = info.V6Destination;
                replySource = local;
                arrivalInterface = info.V6InterfaceIndex;
                toGroup = local.IsMulticast || local.IsLimitedBroadcast;
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
        toGroup = local.IsMulticast;
        replySource = local.IsMulticast ? default(UdpEndPoint).MapToIPv6() : local;
        if (local.IsIPv6LinkLocal)
        {
            local = local.WithScopeId((uint)arrivalInterface);
            replySource = local;
        }

        return true;
    }

    /// <summary>
    /// IPv4's rule on a request's IP_PKTINFO addresses (host order): the reply leaves from <c>ipi_spec_dst</c>, which the
    /// kernel sets to the header's destination for a local unicast address and to a unicast address of the arrival
    /// interface for multicast and broadcast. So the request went to a group exactly when its destination is multicast,
    /// the limited broadcast, or differs from <c>ipi_spec_dst</c> (a subnet broadcast). Both IPv4 decoders use this one
    /// rule: the general one through <see cref="TryDecide"/>, the single-pass one directly.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint IPv4ReplySource(uint destination, uint specificDestination, out bool toGroup)
    {
        toGroup = (destination & 0xF0000000) == 0xE0000000 || destination == uint.MaxValue || destination != specificDestination;
        return specificDestination;
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
