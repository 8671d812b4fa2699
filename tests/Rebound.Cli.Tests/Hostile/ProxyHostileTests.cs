using System.Net;
using System.Net.Sockets;
using Rebound.Lab;
using Rebound.Proxy;
using Rebound.Cli.Tests.Support;
using Rebound.TestSupport;
using Xunit.Abstractions;
using static Rebound.TestSupport.UdpClients;

namespace Rebound.Cli.Tests.Hostile;

/// <summary>
/// Issue 11 items 2–5 and 7 for <c>rebound proxy</c>: reflection and self loops, the drain, broadcast through several
/// loops, and a second proxy on a used port. Counts are bounded and printed.
/// </summary>
public sealed class ProxyHostileTests(ITestOutputHelper output)
{
    /// <summary>One namespace, two local non-loopback addresses: the proxy on 192.0.2.1, a backend on 192.0.2.2.</summary>
    private static NetworkNamespace TwoAddressHost()
    {
        NetworkNamespace ns = NetworkNamespace.Create("rf");
        try
        {
            ns.Ip("link", "add", "lan0", "type", "veth", "peer", "name", "lan1");
            ns.Ip("addr", "add", "192.0.2.1/24", "dev", "lan0");
            ns.Ip("addr", "add", "192.0.2.2/24", "dev", "lan1");
            ns.Ip("link", "set", "lan0", "up");
            ns.Ip("link", "set", "lan1", "up");
            return ns;
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    [NamespaceFact]
    public async Task A_datagram_spoofed_from_the_backend_is_dropped_where_a_naive_proxy_ping_pongs_with_the_backend()
    {
        using NetworkNamespace ns = TwoAddressHost();
        var proxyAddress = IPAddress.Parse("192.0.2.1");

        // The naive forwarder, same setup: one datagram "from" the backend starts an endless exchange.
        long naiveCount;
        using (AnsweringBackend backend = ns.Run(() => new AnsweringBackend(new IPEndPoint(IPAddress.Parse("192.0.2.2"), 0))))
        {
            using NaiveForwarder naive = ns.Run(() => new NaiveForwarder(new IPEndPoint(IPAddress.Any, 0), backend.EndPoint));
            backend.SendFromBackend(new IPEndPoint(proxyAddress, naive.EndPoint.Port), "kick"u8);
            Thread.Sleep(500);
            naiveCount = backend.Received;
        }

        using AnsweringBackend target = ns.Run(() => new AnsweringBackend(new IPEndPoint(IPAddress.Parse("192.0.2.2"), 0)));
        await using UdpProxy proxy = ns.Run(() =>
        {
            var p = new UdpProxy(new ProxyOptions { Listen = [new IPEndPoint(IPAddress.IPv6Any, 0)], Backends = [target.EndPoint] });
            p.Start();
            return p;
        });
        var front = new IPEndPoint(proxyAddress, proxy.ListenEndPoints[0].Port);
        target.SendFromBackend(front, "kick"u8);
        target.SendFromBackend(front, "kick"u8);
        Thread.Sleep(500);
        long reboundCount = target.Received;
        long reflected = proxy.DroppedFor(DropReason.Reflected);

        // A legitimate client is still served.
        using Socket client = ns.Run(() => Connect(front, new IPEndPoint(proxyAddress, 0)));
        string? reply = Exchange(client, "legit", 2000);

        output.WriteLine($"one datagram from the backend's address: naive forwarder → {naiveCount} datagrams at the backend in 0.5 s; " +
            $"rebound proxy → {reboundCount} (2 sent, {reflected} dropped as reflected)");
        Assert.True(naiveCount > 20, $"the naive forwarder did not loop ({naiveCount})");
        Assert.Equal(0, reboundCount);
        Assert.Equal(2, reflected);
        Assert.Equal("legit", reply);
        Assert.Equal(1, target.Received);
    }

    [NamespaceFact]
    public void A_backend_that_is_the_proxys_own_non_loopback_address_is_refused_at_start()
    {
        using NetworkNamespace ns = TwoAddressHost();
        string? wildcard = ns.Run(() => new ProxyOptions { Listen = [IPEndPoint.Parse("[::]:6003")], Backends = [IPEndPoint.Parse("192.0.2.2:6003")] }.Validate());
        string? v4Wildcard = ns.Run(() => new ProxyOptions { Listen = [IPEndPoint.Parse("0.0.0.0:6003")], Backends = [IPEndPoint.Parse("192.0.2.1:6003")] }.Validate());
        string? exact = ns.Run(() => new ProxyOptions { Listen = [IPEndPoint.Parse("192.0.2.1:6003")], Backends = [IPEndPoint.Parse("192.0.2.1:6003")] }.Validate());
        string? otherHost = ns.Run(() => new ProxyOptions { Listen = [IPEndPoint.Parse("[::]:6003")], Backends = [IPEndPoint.Parse("192.0.2.99:6003")] }.Validate());
        string? v6Only = ns.Run(() => new ProxyOptions { Listen = [IPEndPoint.Parse("[::]:6003")], Backends = [IPEndPoint.Parse("192.0.2.2:6003")], DualStack = false }.Validate());
        Assert.Contains("own listening address", wildcard, StringComparison.Ordinal);
        Assert.Contains("own listening address", v4Wildcard, StringComparison.Ordinal);
        Assert.Contains("own listening address", exact, StringComparison.Ordinal);
        Assert.Null(otherHost);
        Assert.Null(v6Only);

        // The command says so with exit code 2, and nothing runs.
        using System.Diagnostics.Process cli = CliProcess.StartIn(ns.Name, "proxy", "-l", "[::]:6003", "--to", "192.0.2.2:6003");
        string error = cli.StandardError.ReadToEnd();
        Assert.True(cli.WaitForExit(TimeSpan.FromSeconds(30)));
        output.WriteLine($"rebound proxy -l [::]:6003 -t 192.0.2.2:6003 → exit {cli.ExitCode}: {error.Trim()}");
        Assert.Equal(2, cli.ExitCode);
    }

    [Fact]
    public async Task Stopping_delivers_every_reply_in_flight_on_one_flow_not_just_the_first_batch()
    {
        const int InFlight = 50;
        using var backend = new AnsweringBackend(new IPEndPoint(IPAddress.Loopback, 0), TimeSpan.FromMilliseconds(300));
        var proxy = new UdpProxy(new ProxyOptions { Listen = [new IPEndPoint(IPAddress.Any, 0)], Backends = [backend.EndPoint] });
        proxy.Start();
        using Socket client = Connect(new IPEndPoint(IPAddress.Loopback, proxy.ListenEndPoints[0].Port));
        for (int i = 0; i < InFlight; i++)
        {
            client.Send("req"u8);
        }

        Assert.True(Rebound.Cli.Tests.Proxy.ProxyTestHelpers.WaitUntil(() => backend.Received == InFlight, TimeSpan.FromSeconds(5)), $"backend got {backend.Received}");
        Task stopped = proxy.StopAsync();
        int replies = 0;
        client.ReceiveTimeout = 2000;
        try
        {
            while (replies < InFlight)
            {
                client.Receive(new byte[64]);
                replies++;
            }
        }
        catch (SocketException)
        {
        }

        await stopped.WaitAsync(TimeSpan.FromSeconds(5));
        await proxy.DisposeAsync();
        output.WriteLine($"{InFlight} requests in flight on one flow, backend answering after 300 ms, stop: {replies} replies delivered");
        Assert.Equal(InFlight, replies);
    }

    [Fact]
    public async Task A_broadcast_through_two_loops_opens_one_flow_and_is_answered_once()
    {
        using var backend = new AnsweringBackend(new IPEndPoint(IPAddress.Loopback, 0));
        await using var proxy = new UdpProxy(new ProxyOptions
        {
            Listen = [new IPEndPoint(IPAddress.Any, 0)],
            Backends = [backend.EndPoint],
            Threads = 2,
        });
        proxy.Start();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { EnableBroadcast = true, ReceiveTimeout = 2000 };
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        client.SendTo("who?"u8, new IPEndPoint(IPAddress.Parse("127.255.255.255"), proxy.ListenEndPoints[0].Port));
        int replies = 0;
        while (client.Poll(replies == 0 ? TimeSpan.FromSeconds(2) : TimeSpan.FromMilliseconds(500), SelectMode.SelectRead))
        {
            client.Receive(new byte[64]);
            replies++;
        }

        output.WriteLine($"one broadcast to a 2-thread proxy: {proxy.Statistics.FlowsCreated} flow(s), {backend.Received} datagram(s) at the backend, {replies} reply(ies)");
        Assert.Equal(1, replies);
        Assert.Equal(1, backend.Received);
        Assert.Equal(1, proxy.Statistics.FlowsCreated);
    }

    [Fact]
    public async Task A_second_multi_thread_proxy_on_a_used_port_fails_with_address_in_use()
    {
        using var backend = new AnsweringBackend(new IPEndPoint(IPAddress.Loopback, 0));
        await using var first = new UdpProxy(new ProxyOptions { Listen = [new IPEndPoint(IPAddress.IPv6Any, 0)], Backends = [backend.EndPoint], Threads = 2 });
        first.Start();
        await using var second = new UdpProxy(new ProxyOptions { Listen = [.. first.ListenEndPoints], Backends = [backend.EndPoint], Threads = 2 });
        SocketException refused = Assert.Throws<SocketException>(second.Start);
        Assert.Equal(SocketError.AddressAlreadyInUse, refused.SocketErrorCode);

        using Socket client = Connect(new IPEndPoint(IPAddress.Loopback, first.ListenEndPoints[0].Port));
        Assert.Equal("still", Exchange(client, "still", 2000));
    }

    [Fact]
    public void The_same_listen_address_twice_is_a_usage_error()
    {
        var twice = new ProxyOptions { Listen = [IPEndPoint.Parse("[::]:6004"), IPEndPoint.Parse("[::]:6004")], Backends = [IPEndPoint.Parse("127.0.0.1:53")] };
        Assert.Contains("given twice", twice.Validate(), StringComparison.Ordinal);
    }
}
