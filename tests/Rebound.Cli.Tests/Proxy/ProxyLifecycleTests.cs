using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Rebound.Cli.Proxy;
using Rebound.Cli.Tests.Support;
using static Rebound.Cli.Tests.Proxy.ProxyTestHelpers;
using static Rebound.Cli.Tests.Support.UdpClients;

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
        var clients = Enumerable.Range(0, 8).Select(_ => Connect(FrontAt(proxy, Second), new IPEndPoint(IPAddress.Loopback, 0))).ToList();
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
        using Socket client = Connect(FrontAt(proxy, Second), new IPEndPoint(IPAddress.Loopback, 0));
        Assert.Equal("12345678", Exchange(client, "12345678", Answer));
        using Socket refused = Connect(FrontAt(proxy, Second), new IPEndPoint(IPAddress.Loopback, 0));
        Assert.Null(Exchange(refused, "no", 200));
        Assert.True(WaitUntil(() => proxy.Statistics.DatagramsToClient == 1, TimeSpan.FromSeconds(2)));

        var seen = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ProxyMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string key = instrument.Name + string.Concat(tags.ToArray().Select(t => $"|{t.Value}"));
            lock (seen)
            {
                seen[key] = seen.GetValueOrDefault(key) + value;
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();

        // Other proxies in this process publish under the same meter name; this one contributes at least these.
        Assert.True(seen.GetValueOrDefault("rebound.proxy.flows.created") >= 1);
        Assert.True(seen.GetValueOrDefault("rebound.proxy.datagrams|to_client") >= 1);
        Assert.True(seen.GetValueOrDefault("rebound.proxy.bytes|to_backend") >= 8);
        Assert.True(seen.GetValueOrDefault("rebound.proxy.flows.refused|max_flows") >= 1);
        Assert.True(seen.GetValueOrDefault("rebound.proxy.drops|flow_refused") >= 1);
        Assert.True(seen.ContainsKey("rebound.proxy.flows.active"));
    }
}
