using System.Net;

namespace Rebound;

/// <summary>
/// A multicast group to receive, and the interface to receive it on. A wildcard socket gets a group's datagrams only
/// once some socket on the host has joined it on the arrival interface; this names one for
/// <see cref="ReboundSocket.JoinMulticastGroup(MulticastGroup)"/> and <see cref="ReboundServerOptions.JoinMulticastGroup(MulticastGroup)"/>.
/// </summary>
/// <param name="Address">The group: IPv4 (224.0.0.0/4) or IPv6 (ff00::/8). An IPv4 group works on a dual-stack socket too.</param>
/// <param name="InterfaceIndex">The interface to join on; 0 lets the kernel pick by route (IPv4) or the default (IPv6).</param>
public readonly record struct MulticastGroup(IPAddress Address, int InterfaceIndex = 0)
{
    /// <summary>
    /// Parses <c>GROUP</c> or <c>GROUP%INTERFACE</c>, where the interface is a name (<c>eth0</c>) or an index:
    /// <c>233.252.0.1%eth0</c>, <c>ff02::db8:1%2</c>.
    /// </summary>
    /// <exception cref="FormatException">Not a multicast address, or no such interface.</exception>
    public static MulticastGroup Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int percent = text.IndexOf('%', StringComparison.Ordinal);
        string addressText = percent < 0 ? text : text[..percent];
        if (!IPAddress.TryParse(addressText, out IPAddress? address) || (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && address.ScopeId != 0))
        {
            throw new FormatException($"'{addressText}' is not an IP address.");
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (!UdpEndPoint.FromIPAddress(address, 0).IsMulticast)
        {
            throw new FormatException($"{address} is not a multicast address (224.0.0.0/4 or ff00::/8).");
        }

        int index = percent < 0 ? 0 : InterfaceIndexOf(text[(percent + 1)..]);
        return new MulticastGroup(address, index);
    }

    /// <inheritdoc/>
    public override string ToString() => InterfaceIndex == 0 ? Address.ToString() : $"{Address}%{InterfaceIndex}";

    private static int InterfaceIndexOf(string name)
    {
        if (int.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index) && index > 0)
        {
            return index;
        }

        // /sys/class/net/NAME/ifindex is what if_nametoindex reads, without a native call.
        string path = Path.Combine("/sys/class/net", name, "ifindex");
        if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal) || name is "." or ".." || !File.Exists(path))
        {
            throw new FormatException($"there is no network interface '{name}'.");
        }

        return int.Parse(File.ReadAllText(path).Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
