using System.Net;
using System.Net.Sockets;
using System.Text;
using Rebound.PerAddress;
using Rebound.Tests.Support;

namespace Rebound.Tests.PerAddress;

/// <summary>
/// The per-address strategy through the public API, on loopback, without privileges: every receive and reply path,
/// dual-stack reporting, timeouts, a removed address, and a multi-threaded <see cref="ReboundServer"/>.
/// </summary>
public sealed class PerAddressLoopbackTests
{
    private static readonly ReboundSocketOptions PerAddressOptions = new() { Strategy = SourceAddressStrategy.PerAddress };

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("127.0.0.1")]
    public void Sync_receive_and_reply_answer_from_the_address_asked(string bind)
    {
        using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Parse(bind), 0), PerAddressOptions);
        using Socket client = Loopback.Client("127.0.0.1", "127.0.0.1", server.LocalEndPoint.Port);
        byte[] buffer = new byte[100];

        client.Send("hello"u8);
        ReceivedDatagram request = server.Receive(buffer);
        server.Reply(request, buffer.AsSpan(0, request.Length));

        Assert.Equal(SourceAddressStrategy.PerAddress, server.Strategy);
        Assert.Equal("hello", Encoding.ASCII.GetString(Loopback.TryReceive(client, TimeSpan.FromSeconds(2))!));
        Assert.Equal("127.0.0.1", request.LocalEndPoint.MapToIPv4().ToString("a", null));
        Assert.Equal(request.LocalEndPoint, request.ReplySource);
        Assert.Equal(bind == "::", request.RemoteEndPoint.IsIPv4MappedToIPv6);   // dual-stack reports IPv4 v4-mapped, as packet info does
        Assert.Equal(bind == "::", server.IsDualStack);
        Assert.Equal((1, 1), (server.Statistics.Received, server.Statistics.Sent));
    }

    [Fact]
    public async Task Async_receive_waits_for_a_datagram_and_replies()
    {
        await using ReboundSocket server = ReboundSocket.Bind("0.0.0.0:0", PerAddressOptions);
        using Socket client = Loopback.Client("127.0.0.1", "127.0.0.1", server.LocalEndPoint.Port);
        Memory<byte> buffer = new byte[100];

        ValueTask<ReceivedDatagram> pending = server.ReceiveAsync(buffer);
        Assert.False(pending.IsCompleted);
        client.Send("late"u8);
        ReceivedDatagram request = await pending.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await server.ReplyAsync(request, buffer[..request.Length]);

        Assert.Equal("late", Encoding.ASCII.GetString(Loopback.TryReceive(client, TimeSpan.FromSeconds(2))!));
    }

    [Fact]
    public void Batches_take_every_queued_datagram_and_answer_each()
    {
        using ReboundSocket server = ReboundSocket.Bind("[::]:0", PerAddressOptions);
        using Socket v4 = Loopback.Client("127.0.0.1", "127.0.0.1", server.LocalEndPoint.Port);
        using Socket v6 = Loopback.Client("::1", "::1", server.LocalEndPoint.Port);
        using var batch = new DatagramBatch(capacity: 8, bufferSize: 64);
        for (int i = 0; i < 3; i++)
        {
            v4.Send(Encoding.ASCII.GetBytes($"v4-{i}"));
            v6.Send(Encoding.ASCII.GetBytes($"v6-{i}"));
        }

        int calls = Loopback.ReceiveBatches(server, batch, 6, b =>
        {
            Loopback.EchoAll(b);
            server.ReplyBatch(b);
        });

        Assert.InRange(calls, 1, 6);
        var answers = new List<string>();
        foreach (Socket client in new[] { v4, v6 })
        {
            while (Loopback.TryReceive(client, TimeSpan.FromMilliseconds(500)) is { } reply)
            {
                answers.Add(Encoding.ASCII.GetString(reply));
            }
        }

        Assert.Equal(["v4-0", "v4-1", "v4-2", "v6-0", "v6-1", "v6-2"], answers.Order());
        Assert.Equal(6, server.Statistics.Sent);
    }

    [Fact]
    public void Receive_times_out_and_try_receive_returns_at_once()
    {
        using ReboundSocket server = ReboundSocket.Bind("127.0.0.1:0", PerAddressOptions);
        server.ReceiveTimeout = TimeSpan.FromMilliseconds(50);
        byte[] buffer = new byte[10];

        Assert.False(server.TryReceive(buffer, out _));
        var e = Assert.Throws<SocketException>(() => server.Receive(buffer));
        Assert.Equal(SocketError.TimedOut, e.SocketErrorCode);
        Assert.Throws<InvalidOperationException>(() => server.Socket);
    }

    [Fact]
    public void A_removed_address_is_a_typed_error_and_comes_back_when_the_address_does()
    {
        using ReboundSocket server = ReboundSocket.Bind("0.0.0.0:0", PerAddressOptions);
        PerAddressSocketSet set = server.PerAddressSet!;
        using Socket client = Loopback.Client("127.0.0.1", "127.0.0.1", server.LocalEndPoint.Port);
        byte[] buffer = new byte[100];
        client.Send("hello"u8);
        ReceivedDatagram request = server.Receive(buffer);

        // What the watcher does when 127.0.0.1 disappears from the host's addresses.
        var without = new HashSet<UdpEndPoint>(set.Served);
        without.Remove(UdpEndPoint.Parse("127.0.0.1:0"));
        set.Reconcile(without);

        var error = Assert.Throws<SourceAddressUnavailableException>(() => server.Reply(request, buffer.AsSpan(0, request.Length)));
        Assert.Equal("127.0.0.1", error.SourceAddress.ToString("a", null));
        Assert.Equal(1, server.Statistics.SourceUnavailable);
        Assert.Null(Loopback.TryReceive(client, Loopback.NoReplyWait));

        set.Rescan();   // the address is still there in truth: the next check binds it again, on the same port
        client.Send("again"u8);
        request = server.Receive(buffer);
        server.Reply(request, buffer.AsSpan(0, request.Length));
        Assert.Equal("again", Encoding.ASCII.GetString(Loopback.TryReceive(client, TimeSpan.FromSeconds(2))!));
    }

    [Fact]
    public async Task A_server_shares_the_per_address_sockets_among_its_threads_and_stops()
    {
        await using ReboundServer server = ReboundServer.Start("[::]:0",
            (ReadOnlySpan<byte> request, Span<byte> reply, in ReceivedDatagram datagram) =>
            {
                request.CopyTo(reply);
                return request.Length;
            },
            new ReboundServerOptions { SocketCount = 2, BatchSize = 4, BufferSize = 256, Socket = PerAddressOptions });
        using Socket client = Loopback.Client("127.0.0.1", "127.0.0.1", server.LocalEndPoint.Port);

        for (int i = 0; i < 20; i++)
        {
            client.Send(Encoding.ASCII.GetBytes($"n{i}"));
            Assert.Equal($"n{i}", Encoding.ASCII.GetString(Loopback.TryReceive(client, TimeSpan.FromSeconds(5))!));
        }

        Assert.Equal((SourceAddressStrategy.PerAddress, 2), (server.Strategy, server.SocketCount));
        await server.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(server.Completion.IsCompletedSuccessfully);
        Assert.Equal(20, server.Statistics.Sent);
    }

    [Fact]
    public void Several_server_threads_answer_one_address_in_the_order_its_datagrams_came()
    {
        // Two threads share the sockets. Were an address socket re-armed as soon as one datagram was read from it, the
        // other thread could take the next datagram and answer it first (seen as "hi" before "hello" from the CLI).
        // A batch holds its address socket until its replies are sent, so one address is served in order.
        const int Count = 200;
        var options = new ReboundSocketOptions { Strategy = SourceAddressStrategy.PerAddress, ReceiveBufferSize = 1 << 20 };
        using ReboundServer server = ReboundServer.Start("0.0.0.0:0",
            (ReadOnlySpan<byte> request, Span<byte> reply, in ReceivedDatagram datagram) =>
            {
                request.CopyTo(reply);
                return request.Length;
            },
            new ReboundServerOptions { SocketCount = 2, BatchSize = 4, BufferSize = 64, Socket = options });
        using Socket client = Loopback.Client("127.0.0.1", "127.0.0.1", server.LocalEndPoint.Port);
        client.ReceiveBufferSize = 1 << 20;

        for (int i = 0; i < Count; i++)
        {
            client.Send(Encoding.ASCII.GetBytes($"n{i}"));
        }

        var answers = new List<string>();
        while (answers.Count < Count && Loopback.TryReceive(client, TimeSpan.FromSeconds(5)) is { } reply)
        {
            answers.Add(Encoding.ASCII.GetString(reply));
        }

        Assert.Equal(Enumerable.Range(0, Count).Select(i => $"n{i}"), answers);
    }

    [Fact]
    public void Multicast_is_refused_with_the_reason()
    {
        using ReboundSocket socket = ReboundSocket.Bind("0.0.0.0:0", PerAddressOptions);
        var e = Assert.Throws<NotSupportedException>(() => socket.JoinMulticastGroup(new MulticastGroup(IPAddress.Parse("233.252.0.1"))));
        Assert.Contains("wildcard socket", e.Message, StringComparison.Ordinal);

        var options = new ReboundServerOptions { Socket = PerAddressOptions }.JoinMulticastGroup(new MulticastGroup(IPAddress.Parse("233.252.0.1")));
        Assert.Throws<NotSupportedException>(() => ReboundServer.Start("0.0.0.0:0", (_, _, in _) => 0, options));
    }

    [Fact]
    public void Packet_info_stays_the_default_on_Linux()
    {
        using ReboundSocket server = ReboundSocket.Bind("127.0.0.1:0");
        Assert.Equal(OperatingSystem.IsLinux() ? SourceAddressStrategy.PacketInfo : SourceAddressStrategy.PerAddress, server.Strategy);
    }
}
