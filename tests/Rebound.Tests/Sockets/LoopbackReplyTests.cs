using System.Net;
using System.Net.Sockets;
using System.Text;
using static Rebound.Tests.Sockets.LoopbackPeers;

namespace Rebound.Tests.Sockets;

/// <summary>The failure and the fix on loopback, without privileges: the naive path must fail where Rebound succeeds.</summary>
public sealed class LoopbackReplyTests
{
    public static TheoryData<string> WildcardAddresses => new() { "0.0.0.0", "::" };

    [Theory]
    [MemberData(nameof(WildcardAddresses))]
    public void Naive_server_reply_is_dropped_by_the_connected_client(string wildcard)
    {
        using Socket server = NaiveServer(IPAddress.Parse(wildcard));
        using Socket client = ConnectedClient(AskedAddress, PortOf(server));

        client.Send("hello"u8);
        NaiveEchoOnce(server);

        Assert.Null(ReceiveReply(client));
    }

    [Theory]
    [MemberData(nameof(WildcardAddresses))]
    public void Rebound_reply_leaves_from_the_asked_address_and_is_accepted(string wildcard)
    {
        using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Parse(wildcard), 0));
        using Socket client = ConnectedClient(AskedAddress, server.LocalEndPoint.Port);
        byte[] buffer = new byte[1500];

        foreach (string text in new[] { "hello", "hi" })
        {
            client.Send(Encoding.ASCII.GetBytes(text));
            ReceivedDatagram request = server.Receive(buffer);
            Assert.True(request.CanReply);
            Assert.True(request.LocalEndPoint.MapToIPv4().ToIPEndPoint().Address.Equals(AskedAddress));
            server.Reply(request, buffer.AsSpan(0, request.Length));

            Assert.Equal(text, ReceiveReply(client));
        }

        Assert.Equal(2, server.Statistics.Received);
        Assert.Equal(2, server.Statistics.Sent);
    }

    [Theory]
    [MemberData(nameof(WildcardAddresses))]
    public async Task Async_reply_leaves_from_the_asked_address(string wildcard)
    {
        await using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Parse(wildcard), 0));
        using Socket client = ConnectedClient(AskedAddress, server.LocalEndPoint.Port);
        byte[] buffer = new byte[1500];

        // Receive first so the wait path (zero-byte peek) is exercised, then send.
        ValueTask<ReceivedDatagram> pending = server.ReceiveAsync(buffer);
        Assert.False(pending.IsCompleted);
        client.Send("hello"u8);
        ReceivedDatagram request = await pending.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        await server.ReplyAsync(request, buffer.AsMemory(0, request.Length));

        Assert.Equal("hello", ReceiveReply(client));
    }

    [Fact]
    public async Task Async_receive_honours_cancellation()
    {
        await using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0));
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await server.ReceiveAsync(new byte[100], cancellation.Token));
    }

    [Fact]
    public void Sync_receive_honours_the_receive_timeout()
    {
        using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0));
        server.Socket.ReceiveTimeout = 100;

        SocketException e = Assert.Throws<SocketException>(() => server.Receive(new byte[100]));
        Assert.Equal(SocketError.TimedOut, e.SocketErrorCode);
    }

    [Fact]
    public void Ipv6_only_socket_answers_ipv6_from_the_asked_address()
    {
        using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0), new ReboundSocketOptions { DualStack = false });
        using var client = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
        client.Connect(new IPEndPoint(IPAddress.IPv6Loopback, server.LocalEndPoint.Port));
        client.ReceiveTimeout = 500;
        byte[] buffer = new byte[100];

        client.Send("v6"u8);
        ReceivedDatagram request = server.Receive(buffer);
        server.Reply(request, buffer.AsSpan(0, request.Length));

        Assert.False(server.IsDualStack);
        Assert.Equal("[::1]:" + server.LocalEndPoint.Port, request.LocalEndPoint.ToString());
        Assert.Equal("v6", ReceiveReply(client));
    }

    [Fact]
    public void SendFrom_starts_a_conversation_from_the_chosen_address()
    {
        using ReboundSocket sender = ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0));
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        // The peer only accepts datagrams from 127.0.0.3:senderPort.
        peer.Connect(new IPEndPoint(IPAddress.Parse("127.0.0.3"), sender.LocalEndPoint.Port));
        peer.ReceiveTimeout = 500;

        sender.SendFrom(IPAddress.Parse("127.0.0.3"), (IPEndPoint)peer.LocalEndPoint!, "ping"u8);

        Assert.Equal("ping", ReceiveReply(peer));
    }

    [Fact]
    public void SendFrom_an_address_this_host_lacks_is_a_typed_error_and_the_socket_keeps_working()
    {
        using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0));
        using Socket client = ConnectedClient(AskedAddress, server.LocalEndPoint.Port);

        // 192.0.2.1 (TEST-NET-1) is not configured on this host; nothing is sent.
        var e = Assert.Throws<SourceAddressUnavailableException>(() =>
            server.SendFrom(IPAddress.Parse("192.0.2.1"), (IPEndPoint)client.LocalEndPoint!, "x"u8));
        Assert.Equal("192.0.2.1", e.SourceAddress.ToString("a", null));
        Assert.Contains("192.0.2.1", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.Statistics.SourceUnavailable);

        byte[] buffer = new byte[100];
        client.Send("still here"u8);
        ReceivedDatagram request = server.Receive(buffer);
        server.Reply(request, buffer.AsSpan(0, request.Length));
        Assert.Equal("still here", ReceiveReply(client));
    }
}
