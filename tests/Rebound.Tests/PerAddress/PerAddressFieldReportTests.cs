using System.Net;
using System.Net.Sockets;
using Rebound.Lab;

namespace Rebound.Tests.PerAddress;

/// <summary>
/// The per-address strategy in the field report's topology: the container asks the host's eth0 address, the host's
/// route to the container goes out of docker0. A naive wildcard server answers from docker0's address and the client
/// drops it; the per-address set answers on the socket bound to the address asked.
/// </summary>
public sealed class PerAddressFieldReportTests
{
    [NamespaceFact]
    public void Every_family_is_answered_from_the_address_asked_where_the_naive_server_is_not()
    {
        using var topology = FieldReportTopology.Create();
        foreach ((string bind, bool dualStack, string asked) in new[]
        {
            ("0.0.0.0", false, "198.51.100.13"),
            ("::", true, "198.51.100.13"),
            ("::", true, "2001:db8:100::13"),
            ("::", false, "2001:db8:100::13"),
        })
        {
            using PerAddressEcho portable = PerAddressEcho.Start(topology.Host, bind, dualStack);
            using LabServer naive = topology.Host.Run(() => LabServer.Start(ServerKind.Naive, new IPEndPoint(IPAddress.Parse(bind), 0), dualStack));
            string label = $"{bind} (dual-stack {dualStack}), container asks {asked}";

            Assert.True(AskTwice(topology.Container, IPAddress.Parse(asked), portable.Port) == ("hello", "hi"), $"{label}: per-address set did not answer both; it serves {string.Join(", ", portable.Set.Served)}, unserved {string.Join(", ", portable.Set.Unserved)}");
            Assert.True(AskTwice(topology.Container, IPAddress.Parse(asked), naive.LocalEndPoint.Port) == (null, null), $"{label}: the naive reply should be dropped");
        }
    }

    [NamespaceFact]
    public void Dual_stack_semantics_match_the_bind_address()
    {
        using var topology = FieldReportTopology.Create();
        using PerAddressEcho v4 = PerAddressEcho.Start(topology.Host, "0.0.0.0");
        using PerAddressEcho v6Only = PerAddressEcho.Start(topology.Host, "::", dualStack: false);

        // 0.0.0.0 serves IPv4 only; [::] without dual-stack serves IPv6 only, as a V6ONLY socket would.
        Assert.Null(AskTwice(topology.Container, FieldReportTopology.HostEth0V6, v4.Port).First);
        Assert.Null(AskTwice(topology.Container, FieldReportTopology.HostEth0V4, v6Only.Port).First);
        Assert.All(v4.Set.Served, a => Assert.True(a.IsIPv4));
        Assert.All(v6Only.Set.Served, a => Assert.False(a.IsIPv4));
        Assert.Contains(v4.Set.Served, a => a.ToString("a", null) == "192.0.2.1");
        Assert.Contains(v6Only.Set.Served, a => a.ToString("a", null) == "2001:db8:2::1");
    }

    [NamespaceFact]
    public void Link_local_addresses_on_two_links_are_answered_on_their_own_link()
    {
        using var topology = FieldReportTopology.Create();
        using PerAddressEcho portable = PerAddressEcho.Start(topology.Host, "::");
        IPAddress hostEth0LinkLocal = FieldReportTopology.WaitForLinkLocal(topology.Host, "eth0");
        FieldReportTopology.WaitForLinkLocal(topology.Lan, "lan0");   // the client's own fe80:: route comes with it
        int lan0 = topology.Lan.InterfaceIndex("lan0");

        var askedFromContainer = new IPEndPoint(topology.BridgeLinkLocalFromContainer, portable.Port);
        var askedFromLan = new IPEndPoint(new IPAddress(hostEth0LinkLocal.GetAddressBytes(), lan0), portable.Port);
        using Socket containerClient = topology.Container.Run(() => Probe.Client(AddressFamily.InterNetworkV6));
        using Socket lanClient = topology.Lan.Run(() => Probe.Client(AddressFamily.InterNetworkV6));

        var fromContainer = Probe.Ask(containerClient, askedFromContainer, "over docker0");
        var fromLan = Probe.Ask(lanClient, askedFromLan, "over eth0");

        Assert.True(fromContainer is not null && Probe.FromAsked(fromContainer.Value.From, askedFromContainer), $"docker0 link-local: {fromContainer}");
        Assert.True(fromLan is not null && Probe.FromAsked(fromLan.Value.From, askedFromLan), $"eth0 link-local: {fromLan}");
        Assert.Contains(portable.Set.Served, a => a.IsIPv6LinkLocal && a.ScopeId == topology.BridgeIndex);
        Assert.Contains(portable.Set.Served, a => a.IsIPv6LinkLocal && a.ScopeId == topology.Host.InterfaceIndex("eth0"));
    }

    [NamespaceFact]
    public async Task ReboundServer_with_the_per_address_strategy_answers_the_field_report()
    {
        using var topology = FieldReportTopology.Create();
        var options = new ReboundServerOptions
        {
            SocketCount = 2,
            Socket = new ReboundSocketOptions { Strategy = SourceAddressStrategy.PerAddress },
        };
        await using ReboundServer server = topology.Host.Run(() => ReboundServer.Start("[::]:0",
            (ReadOnlySpan<byte> request, Span<byte> reply, in ReceivedDatagram datagram) =>
            {
                request.CopyTo(reply);
                return request.Length;
            },
            options));
        using LabServer naive = topology.Host.Run(() => LabServer.Start(ServerKind.Naive, new IPEndPoint(IPAddress.IPv6Any, 0)));

        foreach (IPAddress asked in new[] { FieldReportTopology.HostEth0V4, FieldReportTopology.HostEth0V6 })
        {
            Assert.Equal(("hello", "hi"), AskTwice(topology.Container, asked, server.LocalEndPoint.Port));
            Assert.Equal((null, null), AskTwice(topology.Container, asked, naive.LocalEndPoint.Port));
        }

        Assert.Equal(SourceAddressStrategy.PerAddress, server.Strategy);
    }

    internal static (string? First, string? Second) AskTwice(NetworkNamespace ns, IPAddress asked, int port)
    {
        using Socket client = ns.Run(() => UdpClients.Connect(new IPEndPoint(asked, port)));
        return (UdpClients.Exchange(client, "hello"), UdpClients.Exchange(client, "hi"));
    }
}
