using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Rebound.Proxy;
using Rebound.Cli.Tests.Support;
using static Rebound.Cli.Tests.Proxy.ProxyTestHelpers;
using static Rebound.TestSupport.UdpClients;

namespace Rebound.Cli.Tests.Proxy;

/// <summary>Tests that count this process's file descriptors, so nothing else may open sockets while they run.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DescriptorCounting
{
    public const string Name = "descriptor counting";
}

/// <summary>Backend failure, graceful stop, socket hygiene and metrics of a running proxy.</summary>
[Collection(DescriptorCounting.Name)]
public sealed class ProxyLifecycleTests
{
    [Fact]
    public async Task A_killed_and_restarted_backend_tears_flows_down_then_they_recover_without_leaking_sockets()
    {
        List<string> before = OpenDescriptors();
        int socketsBefore = SocketDescriptorsNow();
        var backend = NaiveUdpEcho.OnAnyAddress();
        int port = backend.Port;
        UdpProxy proxy = ProxyLoopbackTests.StartProxy([backend.Loopback]);
        var clients = Enumerable.Range(0, 8).Select(_ => ClientOf(proxy)).ToList();
        foreach (Socket client in clients)
        {
            Assert.Equal("up", Exchange(client, "up", Answer));
        }

        // Backend gone: the next datagrams draw ICMP port unreachable, and every flow closes with its socket.
        backend.Dispose();
        foreach (Socket client in clients)
        {
            Assert.Null(Exchange(client, "down", 100));
        }

        Assert.True(WaitUntil(() => proxy.Statistics.ActiveFlows == 0, TimeSpan.FromSeconds(3)), proxy.Statistics.ToString());
        Assert.Equal(8, proxy.Statistics.FlowsClosedByBackend);

        // Closed at once, not left to the finalizer: what stays open is the 8 clients and the proxy's front socket,
        // epoll and eventfd (the killed backend's socket is closed too).
        Assert.True(SocketDescriptorsNow() <= socketsBefore + 8 + 3, $"{SocketDescriptorsNow() - socketsBefore} socket descriptors more than before");

        // Backend back on its port: the same clients get answers again on fresh flows.
        using var restarted = new NaiveUdpEcho(new IPEndPoint(IPAddress.Any, port));
        foreach (Socket client in clients)
        {
            Assert.Equal("back", Exchange(client, "back", Answer));
            client.Dispose();
        }

        Assert.Equal(16, proxy.Statistics.FlowsCreated);
        await proxy.DisposeAsync();
        restarted.Dispose();
        AssertNoDescriptorLeak(before);
    }

    [Fact]
    public async Task Stopping_delivers_replies_already_in_flight_then_closes_every_socket()
    {
        List<string> before = OpenDescriptors();
        using (NaiveUdpEcho slow = NaiveUdpEcho.OnAnyAddress(delay: TimeSpan.FromMilliseconds(300)))
        {
            UdpProxy proxy = ProxyLoopbackTests.StartProxy([slow.Loopback]);
            IPEndPoint front = FrontAt(proxy, Second);
            using Socket client = Connect(front, new IPEndPoint(IPAddress.Loopback, 0));
            client.Send("in flight"u8);
            Assert.True(WaitUntil(() => proxy.Statistics.DatagramsToBackend == 1, TimeSpan.FromSeconds(2)));

            Task stopping = proxy.StopAsync();
            Assert.Equal("in flight", Exchange(client, "after stop", Answer) ?? "(no reply)");
            await stopping.WaitAsync(TimeSpan.FromSeconds(5));
            Assert.Equal(1, proxy.Statistics.DatagramsToBackend);
            await proxy.DisposeAsync();

            // The front port is free again.
            using var rebind = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
            rebind.Bind(new IPEndPoint(IPAddress.IPv6Any, front.Port));
        }

        AssertNoDescriptorLeak(before);
    }

    [Fact]
    public async Task Metrics_report_flows_datagrams_bytes_and_refusals_under_the_Rebound_Proxy_meter()
    {
        using NaiveUdpEcho backend = NaiveUdpEcho.OnAnyAddress();
        await using UdpProxy proxy = ProxyLoopbackTests.StartProxy([backend.Loopback], new FlowLimits { MaxFlows = 1 });
        using Socket client = ClientOf(proxy);
        Assert.Equal("12345678", Exchange(client, "12345678", Answer));
        using Socket refused = ClientOf(proxy);
        Assert.Null(Exchange(refused, "no", 200));
        Assert.True(WaitUntil(() => proxy.Statistics.DatagramsToClient == 1, TimeSpan.FromSeconds(2)));

        var seen = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == UdpProxy.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            // Keyed by the instrument and its distinguishing attribute; the constant ones are checked apart.
            string key = instrument.Name + string.Concat(tags.ToArray().Where(t => t.Key is not ("network.transport" or "server.port")).Select(t => $"|{t.Value}"));
            if (instrument.Name == "rebound.proxy.datagrams")
            {
                Assert.Contains(new KeyValuePair<string, object?>("network.transport", "udp"), tags.ToArray());
            }
            lock (seen)
            {
                seen[key] = seen.GetValueOrDefault(key) + value;
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();

        // Other proxies in this process publish under the same meter name; this one contributes at least these.
        Assert.True(seen.GetValueOrDefault("rebound.proxy.flows.created") >= 1);
        Assert.True(seen.GetValueOrDefault("rebound.proxy.datagrams|transmit") >= 1);
        Assert.True(seen.GetValueOrDefault("rebound.proxy.bytes|receive") >= 8);
        Assert.True(seen.GetValueOrDefault("rebound.proxy.flows.refused|max_flows") >= 1);
        Assert.True(seen.GetValueOrDefault("rebound.proxy.drops|flow_refused") >= 1);
        Assert.True(seen.ContainsKey("rebound.proxy.flows.active"));
    }

    [Fact]
    public async Task Forwarding_allocates_nothing_per_datagram_once_the_flow_exists()
    {
        // Backend and client that allocate nothing either: connected sockets and one buffer each.
        using var backend = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        backend.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using UdpProxy proxy = ProxyLoopbackTests.StartProxy([(IPEndPoint)backend.LocalEndPoint!]);
        using Socket client = ClientOf(proxy);
        client.ReceiveTimeout = backend.ReceiveTimeout = 2000;
        byte[] request = new byte[64];
        byte[] buffer = new byte[2048];
        client.Send(request);
        EndPoint upstream = new IPEndPoint(IPAddress.Any, 0);
        backend.ReceiveFrom(buffer, ref upstream);
        backend.Connect(upstream);
        backend.Send(buffer.AsSpan(0, 64));
        client.Receive(buffer);

        void Exchanges(int count)
        {
            for (int i = 0; i < count; i++)
            {
                client.Send(request);
                int n = backend.Receive(buffer);
                backend.Send(buffer.AsSpan(0, n));
                client.Receive(buffer);
            }
        }

        Exchanges(500);
        long allocated = FewestBytesAllocated(() => Exchanges(2000));

        // 4,000 datagrams through the proxy: one small object per datagram would be >= 96,000 bytes.
        Assert.True(allocated < 16_000, $"{allocated} bytes allocated during 2,000 proxied exchanges");
        Assert.Equal(1, proxy.Statistics.FlowsCreated);
    }

    [Fact]
    public async Task Refusing_a_flood_of_new_flows_allocates_nothing_per_datagram()
    {
        using NaiveUdpEcho backend = NaiveUdpEcho.OnAnyAddress();
        await using UdpProxy proxy = ProxyLoopbackTests.StartProxy([backend.Loopback], new FlowLimits { MaxFlows = 1 });
        using Socket admitted = ClientOf(proxy);
        Assert.Equal("in", Exchange(admitted, "in", Answer));
        using Socket flood = ClientOf(proxy);
        byte[] datagram = new byte[64];

        void Flood(int batches)
        {
            for (int b = 0; b < batches; b++)
            {
                long target = proxy.Statistics.RefusedTableFull + 100;
                for (int i = 0; i < 100; i++)
                {
                    flood.Send(datagram);
                }

                for (int wait = 0; wait < 200 && proxy.Statistics.RefusedTableFull < target; wait++)
                {
                    Thread.Sleep(5);
                }
            }
        }

        Flood(2);
        long refusedBefore = proxy.Statistics.RefusedTableFull;
        long allocated = FewestBytesAllocated(() => Flood(20));

        // Every datagram of every try (2,000 each) was refused and counted.
        Assert.Equal(0, (proxy.Statistics.RefusedTableFull - refusedBefore) % 2000);
        Assert.True(allocated < 16_000, $"{allocated} bytes allocated while refusing 2,000 datagrams");
    }

    /// <summary>
    /// Process-wide bytes allocated while <paramref name="run"/> runs, the smallest of up to three tries. The count
    /// includes whatever other threads of the test host allocate meanwhile; an allocation per datagram shows up in
    /// every try, background noise only in some.
    /// </summary>
    private static long FewestBytesAllocated(Action run)
    {
        long fewest = long.MaxValue;
        for (int attempt = 0; attempt < 3 && fewest >= 16_000; attempt++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            run();
            fewest = Math.Min(fewest, GC.GetTotalAllocatedBytes(precise: true) - before);
        }

        return fewest;
    }
}
