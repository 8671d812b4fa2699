using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Rebound.Cli.Doctor;

/// <summary>
/// An address configured on an interface of the inspected network namespace: somewhere a client may send to. A
/// link-local address carries its interface as scope id (<see cref="IPAddress.ScopeId"/>): it means nothing without it,
/// and two links may hold the same one.
/// </summary>
internal sealed record LocalAddress(IPAddress Address, string Interface)
{
    /// <summary>
    /// Every address of the current thread's network namespace. getifaddrs (netlink) answers for the namespace the
    /// calling thread is in, so this works after setns.
    /// </summary>
    public static List<LocalAddress> ReadAll()
    {
        var addresses = new List<LocalAddress>();
        foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            foreach (UnicastIPAddressInformation unicast in nic.GetIPProperties().UnicastAddresses)
            {
                if (unicast.Address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
                {
                    IPAddress address = unicast.Address;
                    if (address.IsIPv6LinkLocal && nic.GetIPProperties().GetIPv6Properties() is { Index: > 0 } v6)
                    {
                        address = new IPAddress(address.GetAddressBytes(), v6.Index);
                    }

                    addresses.Add(new LocalAddress(address, nic.Name));
                }
            }
        }

        return addresses;
    }

    /// <summary>
    /// The addresses worth probing: every non-loopback address. A naive server answering a request sent there from
    /// 127.0.0.1 (or ::1) replies from the loopback address instead. A host with no other IPv4 address gets 127.0.0.2,
    /// which is local too (all of 127.0.0.0/8 is) and shows the same failure. IPv6 link-local addresses count once per
    /// link: a link with two of them (a VRRP virtual address beside the interface's own) is where a naive server
    /// answers one from the other.
    /// </summary>
    public static List<LocalAddress> ProbeTargets(IReadOnlyList<LocalAddress> all)
    {
        ArgumentNullException.ThrowIfNull(all);
        var targets = all
            .Where(a => !IPAddress.IsLoopback(a.Address) && !a.Address.IsIPv4MappedToIPv6)
            .DistinctBy(a => (a.Address, a.Address.IsIPv6LinkLocal ? a.Interface : ""))
            .ToList();
        if (!targets.Any(t => t.Address.AddressFamily == AddressFamily.InterNetwork))
        {
            targets.Insert(0, new LocalAddress(SecondLoopback, "lo"));
        }

        return targets;
    }

    /// <summary>
    /// The address a probe of <paramref name="target"/> is sent from. IPv4: 127.0.0.1. IPv6: another global (or ULA)
    /// address of the namespace when there is one, else ::1. Servers that copy the request's interface index into their
    /// reply (dnsmasq) cannot answer ::1 from a global address — the reply is pinned to eth0, where ::1 has no route —
    /// so ::1 would make them look silent; two addresses of the same interface do not have that problem. A link-local
    /// target is asked from another link-local address of its own link (null when the link has no other: it cannot be
    /// probed), the way a neighbour on that link would ask.
    /// </summary>
    public static IPAddress? ProbeSource(IPAddress target, IReadOnlyList<LocalAddress> all)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(all);
        if (target.AddressFamily == AddressFamily.InterNetwork)
        {
            return IPAddress.Loopback;
        }

        if (target.IsIPv6LinkLocal)
        {
            return all.FirstOrDefault(a => a.Address.IsIPv6LinkLocal && a.Address.ScopeId == target.ScopeId &&
                                           !SameAddressIgnoringScope(a.Address, target))?.Address;
        }

        LocalAddress? other = all.FirstOrDefault(a =>
            a.Address.AddressFamily == AddressFamily.InterNetworkV6 && !IPAddress.IsLoopback(a.Address) &&
            !a.Address.IsIPv6LinkLocal && !a.Address.IsIPv4MappedToIPv6 && !SameAddressIgnoringScope(a.Address, target));
        return other?.Address ?? IPAddress.IPv6Loopback;
    }

    /// <summary>127.0.0.2: local on every Linux host without configuration.</summary>
    public static readonly IPAddress SecondLoopback = IPAddress.Parse("127.0.0.2");

    /// <summary>Compares addresses by their bytes only (a reply's link-local source carries a scope id).</summary>
    public static bool SameAddressIgnoringScope(IPAddress a, IPAddress b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.AddressFamily == b.AddressFamily && a.GetAddressBytes().AsSpan().SequenceEqual(b.GetAddressBytes());
    }
}
