using System.Net;
using System.Net.Sockets;
using Rebound.Proxy;
using Rebound.Cli.Tests.Support;
using static Rebound.Cli.Tests.Proxy.ProxyTestHelpers;
using static Rebound.TestSupport.UdpClients;

namespace Rebound.Cli.Tests.Proxy;

/// <summary>
/// The proxy on loopback, no root needed: a client bound to 127.0.0.1 that asks 127.0.0.2 gets a naive server's reply
/// from 127.0.0.1 and drops it (the bug, reproduced without namespaces); through the proxy it gets its reply.
/// </summary>
public sealed class ProxyLoopbackTests
{
    private static readonly IPAddress Client = IPAddress.Loopback;
    private static readonly IPAddress Third = IPAddress.Parse("127.0.0.3");

    internal static UdpProxy StartProxy(IEnumerable<IPEndPoint> backends, FlowLimits? limits = null, string listen = "[::]:0")
    {
        var proxy = new UdpProxy(new ProxyOptions
        {
            Listen = [IPEndPoint.Parse(listen)],
            Backends = [.. backends],
            Limits = limits ?? new FlowLimits(),
        });
        proxy.Start();
        return proxy;
    }

    [Fact]
    public async Task Reply_leaves_from_the_targeted_address_where_the_naive_server_alone_fails()
    {
        using NaiveUdpEcho backend = NaiveUdpEcho.OnAnyAddress();
        await using UdpProxy proxy = StartProxy([backend.Loopback]);

        using Socket direct = Connect(new IPEndPoint(Second, backend.Port), new IPEndPoint(Client, 0));
        Assert.Null(Exchange(direct, "direct"));

        using Socket proxied = Connect(FrontAt(proxy, Second), new IPEndPoint(Client, 0));
        Assert.Equal("hello", Exchange(proxied, "hello", Answer));
        Assert.Equal("again", Exchange(proxied, "again", Answer));

        // The loop counts a reply once sent, which may be a moment after the client has it.
        Assert.True(WaitUntil(() => proxy.Statistics.DatagramsToClient == 2, TimeSpan.FromSeconds(2)));
        ProxyStatistics stats = proxy.Statistics;
        Assert.Equal(1, stats.FlowsCreated);
        Assert.Equal(2, stats.DatagramsToBackend);
        Assert.Equal(2, stats.DatagramsToClient);
        Assert.Equal(10, stats.BytesToClient);
    }

    [Fact]
    public async Task Client_traffic_is_counted_by_the_library_on_the_front_sockets()
    {
        using NaiveUdpEcho backend = NaiveUdpEcho.OnAnyAddress();
        await using UdpProxy proxy = StartProxy([backend.Loopback]);
        using Socket client = Connect(FrontAt(proxy, Second), new IPEndPoint(Client, 0));

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal("ping", Exchange(client, "ping", Answer));
        }

        // Requests and replies go through the front ReboundSockets' batched calls (TryReceiveBatch, SendBatch), so the
        // library's statistics and its "Rebound" meter count them; a private recvmmsg/sendmmsg engine would not.
        Assert.True(WaitUntil(() => proxy.FrontStatistics.Sent == 3, TimeSpan.FromSeconds(2)), $"front sent {proxy.FrontStatistics.Sent}");
        Assert.Equal(3, proxy.FrontStatistics.Received);
    }

    [Fact]
    public async Task Dual_stack_front_serves_IPv4_and_IPv6_clients()
    {
        using NaiveUdpEcho backend = NaiveUdpEcho.OnAnyAddress();
        await using UdpProxy proxy = StartProxy([backend.Loopback]);

        using Socket v4 = Connect(FrontAt(proxy, Second), new IPEndPoint(Client, 0));
        using Socket v6 = Connect(FrontAt(proxy, IPAddress.IPv6Loopback));
        Assert.Equal("four", Exchange(v4, "four", Answer));
        Assert.Equal("six", Exchange(v6, "six", Answer));
        Assert.Equal(2, proxy.Statistics.ActiveFlows);
    }

    [Fact]
    public async Task An_IPv6_only_front_serves_IPv6_and_leaves_IPv4_alone()
    {
        using NaiveUdpEcho backend = NaiveUdpEcho.OnAnyAddress();
        var proxy = new UdpProxy(new ProxyOptions { Listen = [new IPEndPoint(IPAddress.IPv6Any, 0)], Backends = [backend.Loopback], DualStack = false });
        proxy.Start();
        await using (proxy)
        {
            using Socket v6 = Connect(FrontAt(proxy, IPAddress.IPv6Loopback));
            Assert.Equal("six", Exchange(v6, "six", Answer));
            using Socket v4 = Connect(FrontAt(proxy, Second), new IPEndPoint(Client, 0));
            Assert.Null(Exchange(v4, "four"));
            Assert.Equal(1, proxy.Statistics.FlowsCreated);
        }
    }

    [Fact]
    public async Task One_client_reaching_two_local_addresses_gets_two_flows_each_answered_from_its_own_address()
    {
        using NaiveUdpEcho backend = NaiveUdpEcho.OnAnyAddress();
        await using UdpProxy proxy = StartProxy([backend.Loopback], listen: "0.0.0.0:0");

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(Client, 0));
        client.ReceiveTimeout = 2000;
        client.SendTo("to-2"u8, FrontAt(proxy, Second));
        client.SendTo("to-3"u8, FrontAt(proxy, Third));

        var sources = new Dictionary<string, IPEndPoint>();
        byte[] buffer = new byte[64];
        for (int i = 0; i < 2; i++)
        {
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            int n = client.ReceiveFrom(buffer, ref from);
            sources[System.Text.Encoding.ASCII.GetString(buffer, 0, n)] = (IPEndPoint)from;
        }

        Assert.Equal(FrontAt(proxy, Second), sources["to-2"]);
        Assert.Equal(FrontAt(proxy, Third), sources["to-3"]);
        Assert.Equal(2, proxy.Statistics.FlowsCreated);
    }

    [Fact]
    public async Task Two_clients_on_one_address_never_share_a_flow()
    {
        using NaiveUdpEcho backend = NaiveUdpEcho.OnAnyAddress();
        await using UdpProxy proxy = StartProxy([backend.Loopback]);

        using Socket first = Connect(FrontAt(proxy, Second), new IPEndPoint(Client, 0));
        using Socket second = Connect(FrontAt(proxy, Second), new IPEndPoint(Client, 0));
        first.Send("one"u8);
        second.Send("two"u8);
        Assert.Equal("two", ReceiveText(second));
        Assert.Equal("one", ReceiveText(first));
        Assert.Equal(2, proxy.Statistics.FlowsCreated);
    }

    [Fact]
    public async Task Interleaved_bursts_from_several_clients_and_addresses_each_reach_only_their_own_flow()
    {
        // The loop reuses a flow for a run of datagrams with the same key (client endpoint and local address). Bursts
        // sent back to back, alternating clients and, from one socket, alternating local addresses, land in the same
        // batches: a reply that reached the wrong client or left from the wrong address would mean a datagram was put
        // on another key's flow. Losses under load are allowed; a misrouted or reordered reply is not.
        const int Rounds = 30;
        using NaiveUdpEcho backend = NaiveUdpEcho.OnAnyAddress();
        await using UdpProxy proxy = StartProxy([backend.Loopback]);
        using Socket a = Connect(FrontAt(proxy, Second), new IPEndPoint(Client, 0));
        using Socket b = Connect(FrontAt(proxy, Second), new IPEndPoint(Client, 0));
        using var both = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        both.Bind(new IPEndPoint(Client, 0));
        foreach (Socket s in new[] { a, b, both })
        {
            s.ReceiveBufferSize = 1 << 20;
        }

        for (int i = 0; i < Rounds; i++)
        {
            a.Send(System.Text.Encoding.ASCII.GetBytes($"a{i}"));
            b.Send(System.Text.Encoding.ASCII.GetBytes($"b{i}"));
            both.SendTo(System.Text.Encoding.ASCII.GetBytes($"2-{i}"), FrontAt(proxy, Second));
            both.SendTo(System.Text.Encoding.ASCII.GetBytes($"3-{i}"), FrontAt(proxy, Third));
        }

        AssertOwnInOrder(Drain(a), "a");
        AssertOwnInOrder(Drain(b), "b");
        List<(string Text, IPAddress From)> replies = DrainFrom(both);
        AssertOwnInOrder([.. replies.Where(r => r.From.Equals(Second)).Select(r => r.Text)], "2-");
        AssertOwnInOrder([.. replies.Where(r => r.From.Equals(Third)).Select(r => r.Text)], "3-");
        Assert.All(replies, r => Assert.True(r.From.Equals(Second) || r.From.Equals(Third), $"{r.Text} came from {r.From}"));
        Assert.Equal(4, proxy.Statistics.FlowsCreated);

        static void AssertOwnInOrder(IReadOnlyList<string> texts, string prefix)
        {
            Assert.NotEmpty(texts);
            Assert.All(texts, t => Assert.StartsWith(prefix, t, StringComparison.Ordinal));
            int[] numbers = [.. texts.Select(t => int.Parse(t[prefix.Length..], System.Globalization.CultureInfo.InvariantCulture))];
            Assert.Equal(numbers.Order(), numbers);
        }
    }

    private static List<string> Drain(Socket socket) => [.. DrainFrom(socket).Select(r => r.Text)];

    /// <summary>Every reply queued on <paramref name="socket"/>, until none comes for a second.</summary>
    private static List<(string Text, IPAddress From)> DrainFrom(Socket socket)
    {
        socket.ReceiveTimeout = 1000;
        var replies = new List<(string, IPAddress)>();
        byte[] buffer = new byte[64];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        try
        {
            while (true)
            {
                int n = socket.ReceiveFrom(buffer, ref from);
                replies.Add((System.Text.Encoding.ASCII.GetString(buffer, 0, n), ((IPEndPoint)from).Address));
            }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            return replies;
        }
    }

    private static string ReceiveText(Socket socket)
    {
        socket.ReceiveTimeout = 2000;
        byte[] buffer = new byte[64];
        int n = socket.Receive(buffer);
        return System.Text.Encoding.ASCII.GetString(buffer, 0, n);
    }

    [Fact]
    public async Task Each_client_address_sticks_to_one_backend_and_both_backends_are_used()
    {
        using NaiveUdpEcho a = NaiveUdpEcho.OnAnyAddress("A:");
        using NaiveUdpEcho b = NaiveUdpEcho.OnAnyAddress("B:");
        await using UdpProxy proxy = StartProxy([a.Loopback, b.Loopback]);

        var seen = new HashSet<string>();
        for (int host = 10; host < 26; host++)
        {
            var address = IPAddress.Parse($"127.0.0.{host}");
            var tags = new HashSet<string>();
            for (int port = 0; port < 3; port++)
            {
                using Socket client = Connect(FrontAt(proxy, Second), new IPEndPoint(address, 0));
                string? reply = Exchange(client, "x", Answer);
                Assert.NotNull(reply);
                tags.Add(reply[..2]);
            }

            Assert.Single(tags);
            seen.UnionWith(tags);
        }

        Assert.Equal(["A:", "B:"], seen.Order());
    }
}
