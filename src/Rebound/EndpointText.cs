using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Rebound;

/// <summary>
/// The one text form of an address or endpoint in everything Rebound prints (tables, logs, JSON; docs/output.md):
/// <c>ip:port</c> for IPv4, <c>[ip]:port</c> for IPv6 (<c>[fe80::1%2]:53</c> with a scope), and an IPv4-mapped address
/// (<c>::ffff:192.0.2.1</c>, a dual-stack socket's IPv4 peer) shown as the IPv4 address it is.
/// </summary>
internal static class EndpointText
{
    /// <summary><c>192.0.2.1:53</c>, <c>[2001:db8::1]:53</c>; v4-mapped as IPv4.</summary>
    public static string Format(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return Format(endPoint.Address, endPoint.Port);
    }

    /// <summary>The endpoint of <paramref name="address"/> and <paramref name="port"/>, as <see cref="Format(IPEndPoint)"/>.</summary>
    public static string Format(IPAddress address, int port)
    {
        ArgumentNullException.ThrowIfNull(address);
        IPAddress shown = Unmapped(address);
        return shown.AddressFamily == AddressFamily.InterNetworkV6
            ? string.Create(CultureInfo.InvariantCulture, $"[{shown}]:{port}")
            : string.Create(CultureInfo.InvariantCulture, $"{shown}:{port}");
    }

    /// <summary>A <see cref="UdpEndPoint"/>, as <see cref="Format(IPEndPoint)"/>.</summary>
    public static string Format(UdpEndPoint endPoint) => endPoint.MapToIPv4().ToString();

    /// <summary>An address without a port: <c>192.0.2.1</c>, <c>2001:db8::1</c>; v4-mapped as IPv4.</summary>
    public static string Address(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return Unmapped(address).ToString();
    }

    /// <summary>An endpoint, or just its address when the port is 0 (a capture that saw no port); null stays null.</summary>
    public static string? FormatOrAddress(IPEndPoint? endPoint) =>
        endPoint is null ? null : endPoint.Port == 0 ? Address(endPoint.Address) : Format(endPoint);

    private static IPAddress Unmapped(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
