using System.Net;
using System.Text.RegularExpressions;

namespace Rebound.Lab;

/// <summary>
/// The field report's machines rebuilt as three network namespaces, with documentation addresses only:
/// <code>
///   ns "lan"                 ns "host"                               ns "ctr" (the container)
///   lan0 198.51.100.1  ----  eth0 198.51.100.13 / 2001:db8:100::13
///        2001:db8:100::1     docker0 (bridge) 192.0.2.1 / 2001:db8:2::1
///                              └─ vethc  ---------------------------  eth0 192.0.2.3 / 2001:db8:2::3
/// </code>
/// The host's default route goes to lan0; the container's goes to docker0. A client in the container that asks eth0's
/// address gets a naive server's reply from docker0's address, exactly as in the report. The root namespace is never
/// touched, and <see cref="Dispose"/> deletes all three namespaces.
/// </summary>
public sealed partial class FieldReportTopology : IDisposable
{
    public static readonly IPAddress LanV4 = IPAddress.Parse("198.51.100.1");
    public static readonly IPAddress LanV6 = IPAddress.Parse("2001:db8:100::1");
    public static readonly IPAddress HostEth0V4 = IPAddress.Parse("198.51.100.13");
    public static readonly IPAddress HostEth0V6 = IPAddress.Parse("2001:db8:100::13");
    public static readonly IPAddress BridgeV4 = IPAddress.Parse("192.0.2.1");
    public static readonly IPAddress BridgeV6 = IPAddress.Parse("2001:db8:2::1");
    public static readonly IPAddress ContainerV4 = IPAddress.Parse("192.0.2.3");
    public static readonly IPAddress ContainerV6 = IPAddress.Parse("2001:db8:2::3");

    private readonly List<NetworkNamespace> _namespaces = [];

    private FieldReportTopology()
    {
    }

    /// <summary>The namespace holding the default gateway.</summary>
    public NetworkNamespace Lan { get; private set; } = null!;

    /// <summary>The Docker host: eth0 and the docker0 bridge. Servers run here.</summary>
    public NetworkNamespace Host { get; private set; } = null!;

    /// <summary>The container behind the bridge. Clients run here.</summary>
    public NetworkNamespace Container { get; private set; } = null!;

    /// <summary>The host's link-local address on docker0, scoped by docker0's index (as the container sees it, scope is the container's eth0).</summary>
    public IPAddress BridgeLinkLocal { get; private set; } = IPAddress.IPv6None;

    /// <summary>docker0's interface index in the host namespace.</summary>
    public int BridgeIndex { get; private set; }

    /// <summary>eth0's interface index in the container namespace.</summary>
    public int ContainerEth0Index { get; private set; }

    /// <summary>Builds the topology; on any failure deletes what was built and rethrows.</summary>
    public static FieldReportTopology Create()
    {
        var topology = new FieldReportTopology();
        try
        {
            topology.Build();
            return topology;
        }
        catch
        {
            topology.Dispose();
            throw;
        }
    }

    private void Build()
    {
        Lan = Add(NetworkNamespace.Create("lan"));
        Host = Add(NetworkNamespace.Create("host"));
        Container = Add(NetworkNamespace.Create("ctr"));

        // host eth0 <-> lan lan0
        Host.Ip("link", "add", "eth0", "type", "veth", "peer", "name", "lan0", "netns", Lan.Name);
        Host.Ip("addr", "add", "198.51.100.13/24", "dev", "eth0");
        Host.Ip("addr", "add", "2001:db8:100::13/64", "dev", "eth0", "nodad");
        Host.Ip("link", "set", "eth0", "up");
        Lan.Ip("addr", "add", "198.51.100.1/24", "dev", "lan0");
        Lan.Ip("addr", "add", "2001:db8:100::1/64", "dev", "lan0", "nodad");
        Lan.Ip("link", "set", "lan0", "up");
        Host.Ip("route", "add", "default", "via", "198.51.100.1");
        Host.Ip("-6", "route", "add", "default", "via", "2001:db8:100::1");

        // docker0 bridge in the host, container eth0 behind it
        Host.Ip("link", "add", "docker0", "type", "bridge");
        Host.Ip("addr", "add", "192.0.2.1/24", "dev", "docker0");
        Host.Ip("addr", "add", "2001:db8:2::1/64", "dev", "docker0", "nodad");
        Host.Ip("link", "add", "vethc", "type", "veth", "peer", "name", "eth0", "netns", Container.Name);
        Host.Ip("link", "set", "vethc", "master", "docker0");
        Host.Ip("link", "set", "vethc", "up");
        Host.Ip("link", "set", "docker0", "up");
        Container.Ip("addr", "add", "192.0.2.3/24", "dev", "eth0");
        Container.Ip("addr", "add", "2001:db8:2::3/64", "dev", "eth0", "nodad");
        Container.Ip("link", "set", "eth0", "up");
        Container.Ip("route", "add", "default", "via", "192.0.2.1");
        Container.Ip("-6", "route", "add", "default", "via", "2001:db8:2::1");

        BridgeIndex = Host.InterfaceIndex("docker0");
        ContainerEth0Index = Container.InterfaceIndex("eth0");
        BridgeLinkLocal = WaitForLinkLocal(Host, "docker0");
    }

    /// <summary>The bridge's fe80:: address as the container must address it (scoped to the container's eth0).</summary>
    public IPAddress BridgeLinkLocalFromContainer => new(BridgeLinkLocal.GetAddressBytes(), ContainerEth0Index);

    /// <summary>Waits (briefly) for the kernel to give <paramref name="device"/> its fe80:: address, and returns it.</summary>
    public static IPAddress WaitForLinkLocal(NetworkNamespace ns, string device)
    {
        // The kernel adds fe80:: once the bridge has a port that is up; poll briefly for it.
        for (int attempt = 0; attempt < 50; attempt++)
        {
            string output = ns.Ip("-6", "-o", "addr", "show", "dev", device, "scope", "link");
            Match match = LinkLocalPattern().Match(output);
            if (match.Success)
            {
                return IPAddress.Parse(match.Groups[1].Value);
            }

            Thread.Sleep(20);
        }

        throw new InvalidOperationException($"{device} in {ns.Name} got no IPv6 link-local address.");
    }

    private NetworkNamespace Add(NetworkNamespace ns)
    {
        _namespaces.Add(ns);
        return ns;
    }

    /// <summary>Deletes every namespace of the topology (veth pairs and the bridge go with them).</summary>
    public void Dispose()
    {
        foreach (NetworkNamespace ns in Enumerable.Reverse(_namespaces))
        {
            ns.Dispose();
        }

        _namespaces.Clear();
    }

    [GeneratedRegex(@"inet6 (fe80::[0-9a-f:]+)/")]
    private static partial Regex LinkLocalPattern();
}
