using System.Net.Sockets;
using Rebound.Interop;
using static Rebound.Interop.LinuxConstants;

namespace Rebound;

public sealed partial class ReboundSocket
{
    /// <summary>
    /// Joins a multicast group so that its datagrams reach this socket. Requests to the group are answered from a
    /// unicast address of the arrival interface (<see cref="ReceivedDatagram.ReplySource"/>). An IPv4 group on a
    /// dual-stack <c>[::]</c> socket is joined at the IPv4 level (IP_ADD_MEMBERSHIP), where the kernel delivers it; the
    /// IPv6 call refuses a v4-mapped group.
    /// </summary>
    /// <exception cref="ArgumentException">Not a multicast address, or a family this socket does not receive.</exception>
    /// <exception cref="SocketException">The kernel refused (no such interface, no route for the group, already joined).</exception>
    /// <exception cref="NotSupportedException">The socket uses <see cref="SourceAddressStrategy.PerAddress"/>, whose sockets are bound to unicast addresses.</exception>
    public void JoinMulticastGroup(MulticastGroup group) => ChangeMembership(group, join: true);

    /// <summary>Leaves a group joined with <see cref="JoinMulticastGroup(MulticastGroup)"/> (same address and interface).</summary>
    /// <exception cref="SocketException">The socket is not a member (EADDRNOTAVAIL) or the kernel refused.</exception>
    public void LeaveMulticastGroup(MulticastGroup group) => ChangeMembership(group, join: false);

    private void ChangeMembership(MulticastGroup group, bool join)
    {
        ArgumentNullException.ThrowIfNull(group.Address);
        ArgumentOutOfRangeException.ThrowIfNegative(group.InterfaceIndex);
        ThrowIfDisposed();
        if (_perAddress is not null)
        {
            throw new NotSupportedException(
                "This socket uses the per-address strategy: its sockets are bound to unicast addresses and receive no multicast. " +
                "Join the group on a separate wildcard socket (see docs/library.md, per-address limits).");
        }

        UdpEndPoint address = UdpEndPoint.FromIPAddress(group.Address, 0).MapToIPv4();
        if (!address.IsMulticast)
        {
            throw new ArgumentException($"{group.Address} is not a multicast address.", nameof(group));
        }

        if (address.IsIPv4)
        {
            if (_family == AF_INET6 && !IsDualStack)
            {
                throw new ArgumentException($"This IPv6-only socket does not receive IPv4, so it cannot join {group.Address}.", nameof(group));
            }

            Span<byte> request = stackalloc byte[MembershipRequest.V4Size];
            MembershipRequest.WriteV4(address, group.InterfaceIndex, request);
            _socket.SetRawSocketOption(SOL_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, request);
        }
        else
        {
            if (_family == AF_INET)
            {
                throw new ArgumentException($"This IPv4 socket cannot join the IPv6 group {group.Address}.", nameof(group));
            }

            Span<byte> request = stackalloc byte[MembershipRequest.V6Size];
            MembershipRequest.WriteV6(address, group.InterfaceIndex, request);
            _socket.SetRawSocketOption(SOL_IPV6, join ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP, request);
        }
    }
}
