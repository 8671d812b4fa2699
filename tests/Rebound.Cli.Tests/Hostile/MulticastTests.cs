using System.Net;
using System.Net.Sockets;
using Rebound.Lab;
using Rebound.Cli.Tests.Support;
using Rebound.TestSupport;
using Xunit.Abstractions;

namespace Rebound.Cli.Tests.Hostile;

/// <summary>
/// Issue 11 items 5 and 6, in a namespace of their own with one veth interface (lan0: 192.0.2.1/24, 2001:db8::1/64): joining
/// IPv4 and IPv6 groups (an IPv4 group on a dual-stack socket too), answering from the interface's unicast address, leaving,
/// and a multi-socket server answering each multicast request once. Groups are the documentation ones (233.252.0.0/24,
/// RFC 5771) and a transient link-scope group under 2001:db8's ff12::db8: prefix.
/// </summary>
public sealed class MulticastTests(ITestOutputHelper output)
{
    private static readonly IPAddress V4Group = MulticastLan.V4Group;
    private static readonly IPAddress V6Group = MulticastLan.V6Group;

    [NamespaceFact]
    public void An_IPv4_group_reaches_a_socket_only_once_joined_and_is_answered_from_the_interface_address()
    {
        using var lan = new MulticastLan();
        using ReboundSocket server = lan.Namespace.Run(() => ReboundSocket.Bind("0.0.0.0:0"));
        server.Socket.ReceiveTimeout = 500;
        using Socket client = lan.Client(AddressFamily.InterNetwork);
        var group = new IPEndPoint(V4Group, server.LocalEndPoint.Port);

        // Not joined: the datagram never arrives.
        client.SendTo("before"u8, group);
        Assert.Throws<SocketException>(() => server.Receive(new byte[64]));

        server.JoinMulticastGroup(new MulticastGroup(V4Group, lan.InterfaceIndex));
        Assert.Equal("192.0.2.1", Exchange(server, client, group));

        server.LeaveMulticastGroup(new MulticastGroup(V4Group, lan.InterfaceIndex));
        client.SendTo("after"u8, group);
        Assert.Throws<SocketException>(() => server.Receive(new byte[64]));
    }

    [NamespaceFact]
    public void An_IPv4_group_works_on_a_dual_stack_socket_where_the_IPv6_join_of_its_mapped_form_is_refused()
    {
        using var lan = new MulticastLan();
        using ReboundSocket server = lan.Namespace.Run(() => ReboundSocket.Bind("[::]:0"));
        server.Socket.ReceiveTimeout = 2000;

        // The naive join: at the IPv6 level, with the group v4-mapped. The kernel refuses it.
        var mapped = new IPv6MulticastOption(V4Group.MapToIPv6(), lan.InterfaceIndex);
        SocketException refused = Assert.Throws<SocketException>(() => server.Socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.AddMembership, mapped));
        output.WriteLine($"IPV6_ADD_MEMBERSHIP {V4Group.MapToIPv6()} on [::]: {refused.SocketErrorCode}");

        server.JoinMulticastGroup(new MulticastGroup(V4Group, lan.InterfaceIndex));
        using Socket client = lan.Client(AddressFamily.InterNetwork);
        Assert.Equal("192.0.2.1", Exchange(server, client, new IPEndPoint(V4Group, server.LocalEndPoint.Port)));
    }

    [NamespaceFact]
    public void An_IPv6_group_is_joined_on_the_interface_and_answered()
    {
        using var lan = new MulticastLan();
        using ReboundSocket server = lan.Namespace.Run(() => ReboundSocket.Bind("[::]:0"));
        server.Socket.ReceiveTimeout = 2000;
        server.JoinMulticastGroup(MulticastGroup.Parse($"{V6Group}%{lan.InterfaceIndex}"));
        using Socket client = lan.Client(AddressFamily.InterNetworkV6);
        Assert.Equal("2001:db8::1", Exchange(server, client, new IPEndPoint(V6Group, server.LocalEndPoint.Port)));
    }

    [NamespaceFact]
    public async Task A_server_with_several_sockets_joins_its_groups_on_each_and_answers_every_multicast_and_broadcast_once()
    {
        using var lan = new MulticastLan();
        var options = new ReboundServerOptions { SocketCount = 3 };
        options.JoinMulticastGroup(new MulticastGroup(V4Group, lan.InterfaceIndex));
        options.JoinMulticastGroup(new MulticastGroup(V6Group, lan.InterfaceIndex));
        await using ReboundServer server = lan.Namespace.Run(() => ReboundServer.Start(
            "[::]:0", (request, reply, in _) => { request.CopyTo(reply); return request.Length; }, options));
        int port = server.LocalEndPoint.Port;

        using Socket v4 = lan.Client(AddressFamily.InterNetwork);
        v4.EnableBroadcast = true;
        using Socket v6 = lan.Client(AddressFamily.InterNetworkV6);
        int v4Group = MulticastLan.CountReplies(v4, new IPEndPoint(V4Group, port));
        int broadcast = MulticastLan.CountReplies(v4, new IPEndPoint(IPAddress.Parse("192.0.2.255"), port));
        int v6Group = MulticastLan.CountReplies(v6, new IPEndPoint(V6Group, port));
        output.WriteLine(
            $"{server.SocketCount} sockets, {server.Statistics.Received} copies received; replies: {V4Group} {v4Group}, " +
            $"192.0.2.255 {broadcast}, {V6Group} {v6Group}");
        Assert.Equal((1, 1, 1), (v4Group, broadcast, v6Group));
        Assert.Equal(9, server.Statistics.Received);
    }

    /// <summary>Sends one datagram to the group; the server receives it and replies; returns the reply's source.</summary>
    private static string Exchange(ReboundSocket server, Socket client, IPEndPoint group)
    {
        client.SendTo("ping"u8, group);
        var buffer = new byte[64];
        ReceivedDatagram request = server.Receive(buffer);
        Assert.True(request.IsBroadcastOrMulticast);
        server.Reply(request, buffer.AsSpan(0, request.Length));
        EndPoint from = new IPEndPoint(client.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        int length = client.ReceiveFrom(buffer, ref from);
        Assert.Equal("ping"u8.ToArray(), buffer[..length]);
        return ((IPEndPoint)from).Address.ToString();
    }
}
