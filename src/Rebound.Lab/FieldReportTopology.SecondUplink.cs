using System.Net;

namespace Rebound.Lab;

/// <summary>
/// An optional second uplink for the host, beyond the field report:
/// <code>
///   ns "lan"                                 ns "host"
///   lan0 198.51.100.1   -------------------  eth0 198.51.100.13   default via 198.51.100.1 (metric 0)
///   lan1 203.0.113.1/25 -------------------  eth1 203.0.113.13/25 default via 203.0.113.1 (metric 200)
///   lo   203.0.113.200  (a remote client both uplinks can reach)
/// </code>
/// A request from 203.0.113.200 arrives on eth1; a naive reply follows the preferred default route and leaves eth0 from
/// 198.51.100.13. Like routers on the internet, "lan" does not filter by source (rp_filter off).
/// </summary>
public sealed partial class FieldReportTopology
{
    public static readonly IPAddress SecondUplinkV4 = IPAddress.Parse("203.0.113.13");
    public static readonly IPAddress SecondGatewayV4 = IPAddress.Parse("203.0.113.1");
    public static readonly IPAddress RemoteClientV4 = IPAddress.Parse("203.0.113.200");

    /// <summary>True once <see cref="AddSecondUplink"/> has run.</summary>
    public bool HasSecondUplink { get; private set; }

    /// <summary>Adds eth1, its gateway and a second default route with a higher metric; idempotent.</summary>
    public void AddSecondUplink()
    {
        if (HasSecondUplink)
        {
            return;
        }

        Host.Ip("link", "add", "eth1", "type", "veth", "peer", "name", "lan1", "netns", Lan.Name);
        Host.Ip("addr", "add", "203.0.113.13/25", "dev", "eth1");
        Host.Ip("link", "set", "eth1", "up");
        Lan.Ip("addr", "add", "203.0.113.1/25", "dev", "lan1");
        Lan.Ip("addr", "add", "203.0.113.200/32", "dev", "lo");
        Lan.Ip("link", "set", "lan1", "up");
        foreach (string device in new[] { "all", "default", "lan0", "lan1" })
        {
            Lan.WriteSysctl($"net/ipv4/conf/{device}/rp_filter", "0");
        }

        Host.Ip("route", "add", "default", "via", "203.0.113.1", "metric", "200");
        HasSecondUplink = true;
    }
}
