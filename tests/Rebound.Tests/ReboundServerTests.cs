using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Rebound.Tests.Support;

namespace Rebound.Tests;

/// <summary>The multi-core server on real loopback sockets: SO_REUSEPORT sockets, one thread each, graceful stop.</summary>
public sealed class ReboundServerTests
{
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(5);

    private static int Echo(ReadOnlySpan<byte> request, Span<byte> reply, in ReceivedDatagram datagram)
    {
        request.CopyTo(reply);
        return request.Length;
    }

    [Fact]
    public async Task Two_sockets_both_serve_from_the_asked_address_and_stop_cleanly()
    {
        var threads = new ConcurrentDictionary<int, int>();
        ReboundServer server = ReboundServer.Start(
            new IPEndPoint(IPAddress.IPv6Any, 0),
            (request, reply, in datagram) =>
            {
                threads.AddOrUpdate(Environment.CurrentManagedThreadId, 1, (_, n) => n + 1);
                return Echo(request, reply, datagram);
            },
            new ReboundServerOptions { SocketCount = 2, BatchSize = 8 });
        int port = server.LocalEndPoint.Port;
        Assert.Equal(2, server.SocketCount);

        // 64 clients on distinct ports: the kernel's 4-tuple hash sends some to each socket.
        Socket[] clients = Enumerable.Range(0, 64).Select(i => Loopback.Client("127.0.0.1", i % 2 == 0 ? "127.0.0.2" : "127.0.0.3", port)).ToArray();
        try
        {
            for (int i = 0; i < clients.Length; i++)
            {
                clients[i].Send(Encoding.ASCII.GetBytes($"request {i}"));
            }

            for (int i = 0; i < clients.Length; i++)
            {
                byte[]? reply = Loopback.TryReceive(clients[i], TimeSpan.FromSeconds(2));
                Assert.Equal($"request {i}", reply is null ? "(no reply)" : Encoding.ASCII.GetString(reply));
            }
        }
        finally
        {
            Array.ForEach(clients, c => c.Dispose());
        }

        await server.StopAsync().WaitAsync(StopWait);
        Assert.True(server.Completion.IsCompletedSuccessfully);
        Assert.Equal(2, threads.Count);
        Assert.Equal(64, server.Statistics.Sent); // read after stop: a reply can arrive before its sender counts it
        Assert.Equal(64, server.Statistics.Received); // waking the threads at stop is not counted as a datagram

        // Both sockets are closed: a plain socket without SO_REUSEPORT can take the port again.
        using var again = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
        again.Bind(new IPEndPoint(IPAddress.IPv6Any, port));
    }

    [Fact]
    public async Task Stopping_lets_the_batch_in_hand_be_answered()
    {
        using var inHandler = new SemaphoreSlim(0);
        using var release = new SemaphoreSlim(0);
        ReboundServer server = ReboundServer.Start(
            new IPEndPoint(IPAddress.Any, 0),
            (request, reply, in datagram) =>
            {
                inHandler.Release();
                release.Wait();
                return Echo(request, reply, datagram);
            },
            new ReboundServerOptions { SocketCount = 1 });
        using Socket client = Loopback.Client("127.0.0.1", "127.0.0.2", server.LocalEndPoint.Port);
        client.Send("last"u8);
        Assert.True(await inHandler.WaitAsync(StopWait));

        Task stopping = server.StopAsync();
        await Task.Delay(100);
        Assert.False(stopping.IsCompleted); // waits for the handler
        release.Release();
        await stopping.WaitAsync(StopWait);

        Assert.Equal("last", Encoding.ASCII.GetString(Loopback.TryReceive(client, TimeSpan.FromSeconds(2)) ?? []));
    }

    [Fact]
    public async Task A_handler_that_throws_costs_only_its_request()
    {
        var reported = new ConcurrentQueue<Exception>();
        await using ReboundServer server = ReboundServer.Start(
            new IPEndPoint(IPAddress.Any, 0),
            (request, reply, in datagram) =>
            {
                if (request.SequenceEqual("boom"u8))
                {
                    throw new InvalidOperationException("bad request");
                }

                if (request.SequenceEqual("huge"u8))
                {
                    return reply.Length + 1;
                }

                return request.SequenceEqual("silent"u8) ? 0 : Echo(request, reply, datagram);
            },
            new ReboundServerOptions { SocketCount = 1, OnError = reported.Enqueue });
        using Socket client = Loopback.Client("127.0.0.1", "127.0.0.2", server.LocalEndPoint.Port);

        foreach (string request in new[] { "boom", "huge", "silent" })
        {
            client.Send(Encoding.ASCII.GetBytes(request));
            Assert.Null(Loopback.TryReceive(client, Loopback.NoReplyWait));
        }

        client.Send("fine"u8);
        Assert.Equal("fine", Encoding.ASCII.GetString(Loopback.TryReceive(client, TimeSpan.FromSeconds(2)) ?? []));
        await server.StopAsync();
        Assert.Equal(2, server.Statistics.HandlerErrors);
        Assert.Equal(1, server.Statistics.Sent);
        Assert.Equal(2, reported.Count);
        Assert.Contains(reported, e => e.Message == "bad request");
    }

    [Fact]
    public void Bad_options_and_a_taken_port_fail_clearly()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ReboundServer.Start("127.0.0.1:0", Echo, new ReboundServerOptions { SocketCount = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ReboundServer.Start("127.0.0.1:0", Echo, new ReboundServerOptions { BatchSize = 2000 }));

        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        SocketException e = Assert.Throws<SocketException>(() => ReboundServer.Start((IPEndPoint)taken.LocalEndPoint!, Echo, new ReboundServerOptions { SocketCount = 2 }));
        Assert.Equal(SocketError.AddressAlreadyInUse, e.SocketErrorCode);
    }
}
