using System.Net;
using System.Net.Sockets;
using Rebound.Lab;
using Rebound.TestSupport;

namespace Rebound.Tests.FieldReport;

/// <summary>
/// The field report's topology in namespaces: a client in the container, with a connected socket, talks to the host's
/// eth0 address. The naive server's reply leaves from docker0's address and is rejected; Rebound's is accepted.
/// </summary>
public sealed class FieldReportReplyTests
{
    public static TheoryData<string, string, bool> Cases => new()
    {
        // server bind address, address the container asks, dual-stack
        { "0.0.0.0", "198.51.100.13", false },
        { "::", "198.51.100.13", true },
        { "::", "2001:db8:100::13", true },
        { "::", "2001:db8:100::13", false },
    };

    [NamespaceFact]
    public void Naive_and_rebound_servers_side_by_side_in_every_family()
    {
        using var topology = FieldReportTopology.Create();
        foreach ((string bind, string asked, bool dualStack) in Cases.Select(row => ((string)row[0], (string)row[1], (bool)row[2])))
        {
            var bindTo = new IPEndPoint(IPAddress.Parse(bind), 0);
            using LabServer naive = topology.Host.Run(() => LabServer.Start(ServerKind.Naive, bindTo, dualStack));
            using LabServer rebound = topology.Host.Run(() => LabServer.Start(ServerKind.Rebound, bindTo, dualStack));

            string? naiveReply = Ask(topology, IPAddress.Parse(asked), naive.LocalEndPoint.Port);
            (string? first, string? second) = AskTwice(topology, IPAddress.Parse(asked), rebound.LocalEndPoint.Port);

            string label = $"server {bind} (dual-stack {dualStack}), client asks {asked}";
            Assert.True(naiveReply is null, $"{label}: the naive reply should have been rejected, got '{naiveReply}'");
            Assert.True(first == "hello" && second == "hi", $"{label}: Rebound replies were '{first}', '{second}'");
        }
    }

    [NamespaceFact]
    public void Link_local_request_is_answered_on_the_arrival_interface()
    {
        using var topology = FieldReportTopology.Create();
        using LabServer rebound = topology.Host.Run(() => LabServer.Start(ServerKind.Rebound, new IPEndPoint(IPAddress.IPv6Any, 0)));
        using LabServer naive = topology.Host.Run(() => LabServer.Start(ServerKind.Naive, new IPEndPoint(IPAddress.IPv6Any, 0)));
        IPAddress bridge = topology.BridgeLinkLocalFromContainer;

        (string? first, string? second) = AskTwice(topology, bridge, rebound.LocalEndPoint.Port);
        Assert.Equal(("hello", "hi"), (first, second));

        // The naive server usually answers here too: for a link-local peer the route picks the same fe80:: address.
        // That is not the bug this project fixes, so it is recorded, not asserted.
        string? naiveReply = Ask(topology, bridge, naive.LocalEndPoint.Port);
        Console.WriteLine($"naive server over link-local: {(naiveReply is null ? "no reply" : "answered")}");
    }

    [NamespaceFact]
    public void Broadcast_request_is_answered_from_the_bridge_unicast_address_not_the_broadcast_address()
    {
        using var topology = FieldReportTopology.Create();
        using ReboundSocket server = topology.Host.Run(() => ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0)));
        using Socket client = topology.Container.Run(() =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { EnableBroadcast = true };
            socket.Bind(new IPEndPoint(IPAddress.Any, 0));
            socket.ReceiveTimeout = 1000;
            return socket;
        });
        byte[] buffer = new byte[100];

        client.SendTo("who"u8, new IPEndPoint(IPAddress.Parse("192.0.2.255"), server.LocalEndPoint.Port));
        ReceivedDatagram request = server.Receive(buffer);
        server.Reply(request, buffer.AsSpan(0, request.Length));
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        int n = client.ReceiveFrom(buffer, ref from);

        Assert.Equal("192.0.2.255", request.LocalEndPoint.ToString("a", null));
        Assert.Equal("192.0.2.1", request.ReplySource.ToString("a", null));
        Assert.Equal(new IPEndPoint(FieldReportTopology.BridgeV4, server.LocalEndPoint.Port), from);
        Assert.Equal(3, n);
    }

    [NamespaceFact]
    public void A_vanished_address_is_a_typed_error_and_the_next_request_is_still_answered()
    {
        using var topology = FieldReportTopology.Create();
        topology.Host.Ip("addr", "add", "203.0.113.13/32", "dev", "eth0");
        using ReboundSocket server = topology.Host.Run(() => ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0)));
        int port = server.LocalEndPoint.Port;
        using Socket doomed = topology.Container.Run(() => UdpClients.Connect(new IPEndPoint(IPAddress.Parse("203.0.113.13"), port)));
        using Socket survivor = topology.Container.Run(() => UdpClients.Connect(new IPEndPoint(FieldReportTopology.HostEth0V4, port)));
        byte[] buffer = new byte[100];

        doomed.Send("hello"u8);
        ReceivedDatagram request = server.Receive(buffer);
        Assert.Equal("203.0.113.13", request.ReplySource.ToString("a", null));
        topology.Host.Ip("addr", "del", "203.0.113.13/32", "dev", "eth0");

        var e = Assert.Throws<SourceAddressUnavailableException>(() => server.Reply(request, buffer.AsSpan(0, request.Length)));
        Assert.Equal("203.0.113.13", e.SourceAddress.ToString("a", null));
        Assert.Equal(1, server.Statistics.SourceUnavailable);

        Assert.Equal("hi", ExchangeVia(server, survivor, "hi"));
    }

    private static string? ExchangeVia(ReboundSocket server, Socket client, string text)
    {
        byte[] buffer = new byte[100];
        client.Send(System.Text.Encoding.ASCII.GetBytes(text));
        ReceivedDatagram request = server.Receive(buffer);
        server.Reply(request, buffer.AsSpan(0, request.Length));
        client.ReceiveTimeout = 1000;
        int n = client.Receive(buffer);
        return System.Text.Encoding.ASCII.GetString(buffer, 0, n);
    }

    private static string? Ask(FieldReportTopology topology, IPAddress asked, int port)
    {
        using Socket client = topology.Container.Run(() => UdpClients.Connect(new IPEndPoint(asked, port)));
        return UdpClients.Exchange(client, "hello");
    }

    private static (string? First, string? Second) AskTwice(FieldReportTopology topology, IPAddress asked, int port)
    {
        using Socket client = topology.Container.Run(() => UdpClients.Connect(new IPEndPoint(asked, port)));
        return (UdpClients.Exchange(client, "hello"), UdpClients.Exchange(client, "hi"));
    }
}
