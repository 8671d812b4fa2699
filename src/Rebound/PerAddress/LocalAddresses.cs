using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Rebound.PerAddress;

/// <summary>
/// The unicast addresses of this host (of the calling thread's network namespace, on Linux), read with the managed
/// <see cref="NetworkInterface"/> API so that the same code runs on every OS. Each is a key of the per-address socket
/// set: an address with port 0, IPv4 as IPv4, and IPv6 link-local addresses with their scope (interface index).
/// </summary>
internal static class LocalAddresses
{
    /// <summary>Which address families a per-address set serves.</summary>
    [Flags]
    public enum Families
    {
        None = 0,
        IPv4 = 1,
        IPv6 = 2,
        Both = IPv4 | IPv6,
    }

    /// <summary>The families a wildcard bind address asks for: <c>0.0.0.0</c> IPv4, <c>[::]</c> IPv6 (and IPv4 when dual-stack).</summary>
    public static Families For(IPAddress wildcard, bool dualStack) =>
        wildcard.AddressFamily == AddressFamily.InterNetwork ? Families.IPv4 : dualStack ? Families.Both : Families.IPv6;

    /// <summary>Every unicast address of the wanted families, without duplicates (the same IPv4 address on two interfaces is bound once).</summary>
    public static HashSet<UdpEndPoint> Read(Families families)
    {
        var found = new HashSet<UdpEndPoint>();
        foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            UnicastIPAddressInformationCollection addresses;
            try
            {
                addresses = nic.GetIPProperties().UnicastAddresses;
            }
            catch (NetworkInformationException)
            {
                continue;   // the interface went away while being read
            }

            foreach (UnicastIPAddressInformation information in addresses)
            {
                if (TryKey(information.Address, families, out UdpEndPoint key))
                {
                    found.Add(key);
                }
            }
        }

        return found;
    }

    /// <summary>The set key of <paramref name="address"/>, if it is a unicast address of a wanted family.</summary>
    public static bool TryKey(IPAddress address, Families families, out UdpEndPoint key)
    {
        key = default;
        bool wanted = address.AddressFamily switch
        {
            AddressFamily.InterNetwork => (families & Families.IPv4) != 0,
            AddressFamily.InterNetworkV6 => (families & Families.IPv6) != 0 && !address.IsIPv4MappedToIPv6 && !address.IsIPv6Multicast,
            _ => false,
        };
        if (!wanted || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
        {
            return false;
        }

        key = Normalize(UdpEndPoint.FromIPAddress(address, 0));
        return !key.IsMulticast;
    }

    /// <summary>
    /// The key a datagram's local address (or a reply's source) maps to: port 0, IPv4 for v4-mapped addresses, and the
    /// scope kept only for IPv6 link-local addresses.
    /// </summary>
    public static UdpEndPoint Normalize(UdpEndPoint address)
    {
        address = address.MapToIPv4().WithPort(0);
        return address.IsIPv6LinkLocal || address.ScopeId == 0 ? address : address.WithScopeId(0);
    }
}
