using System.Net;
using System.Net.Sockets;
using Rebound.Lab;

namespace Rebound.Tests.PerAddress;

/// <summary>
/// The same link-local address on two links, as routers and VRRP setups have it: the host holds fe80::1 on eth0 and on
/// docker0 (and fe80::db8:a on both). The per-address set binds fe80::1 twice, once per link (the scope is part of the
/// key), and answers each link from fe80::1. A naive wildcard server answers a request to fe80::1 from the address the
/// kernel prefers for the client (fe80::db8:a, the longest prefix match), which the client's filter drops.
/// </summary>
public sealed class SharedLinkLocalTests
{
    private static readonly IPAddress Shared = IPAddress.Parse("fe80::1");
    private static readonly IPAddress Preferred = IPAddress.Parse("fe80::db8:a");

    [NamespaceFact]
    public void The_same_link_local_address_on_two_links_is_answered_on_each_link_from_itself()
    {
        using var topology = FieldReportTopology.Create();
        foreach (string device in new[] { "eth0", "docker0" })
        {
            topology.Host.Ip("-6", "addr", "add", $"{Shared}/64", "dev", device, "nodad");
            topology.Host.Ip("-6", "addr", "add", $"{Preferred}/64", "dev", device, "nodad");
        }

        topology.Lan.Ip("-6", "addr", "add", "fe80::db8:b/64", "dev", "lan0", "nodad");
        topology.Container.Ip("-6", "addr", "add", "fe80::db8:c/64", "dev", "eth0", "nodad");

        using PerAddressEcho portable = PerAddressEcho.Start(topology.Host, "::");
        using LabServer naive = topology.Host.Run(() => LabServer.Start(ServerKind.Naive, new IPEndPoint(IPAddress.IPv6Any, 0), dualStack: true));
        int lan0 = topology.Lan.InterfaceIndex("lan0");
        int containerEth0 = topology.ContainerEth0Index;
        using Socket lanClient = topology.Lan.Run(() => BoundClient("fe80::db8:b", lan0));
        using Socket containerClient = topology.Container.Run(() => BoundClient("fe80::db8:c", containerEth0));

        var cases = new[]
        {
            (Label: "over eth0", Client: lanClient, Scope: lan0),
            (Label: "over docker0", Client: containerClient, Scope: containerEth0),
        };
        foreach ((string label, Socket client, int scope) in cases)
        {
            var asked = new IPEndPoint(new IPAddress(Shared.GetAddressBytes(), scope), portable.Port);
            var reply = Probe.Ask(client, asked, $"per-address {label}") ?? Probe.Ask(client, asked, $"again {label}");
            Assert.True(reply is { } r && Probe.FromAsked(r.From, asked), $"{label}: per-address reply {reply}");

            var naiveAsked = new IPEndPoint(asked.Address, naive.LocalEndPoint.Port);
            var naiveReply = Probe.Ask(client, naiveAsked, $"naive {label}");
            Assert.True(naiveReply is { } n && n.From.Address.GetAddressBytes().AsSpan().SequenceEqual(Preferred.GetAddressBytes()),
                $"{label}: the naive server should answer from {Preferred}, got {naiveReply}");
        }

        // fe80::1 is served twice: one socket per link.
        int[] scopes = [.. portable.Set.Served.Where(a => a.IsIPv6LinkLocal && a.ToIPAddress().GetAddressBytes().AsSpan().SequenceEqual(Shared.GetAddressBytes()))
            .Select(a => (int)a.ScopeId).Order()];
        Assert.Equal(new[] { topology.Host.InterfaceIndex("eth0"), topology.BridgeIndex }.Order(), scopes);
    }

    private static Socket BoundClient(string address, int scope)
    {
        var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(new IPAddress(IPAddress.Parse(address).GetAddressBytes(), scope), 0));
        return socket;
    }
}
