using System.Net;
using System.Net.Sockets;
using Rebound.Proxy;
using Rebound.Cli.Tests.Support;
using static Rebound.Cli.Tests.Proxy.ProxyTestHelpers;
using static Rebound.TestSupport.UdpClients;

namespace Rebound.Cli.Tests.Proxy;

/// <summary>The proxy's limits with real sockets: refused flows are counted and leave existing flows alone; idle flows expire.</summary>
public sealed class ProxyLimitTests
{
    [Fact]
    public async Task Full_tables_refuse_new_flows_count_them_and_keep_existing_flows_working()
    {
        using NaiveUdpEcho backend = NaiveUdpEcho.OnAnyAddress();
        var limits = new FlowLimits { MaxFlows = 4, MaxFlowsPerClient = 3 };
        await using UdpProxy proxy = ProxyLoopbackTests.StartProxy([backend.Loopback], limits);

        // Three flows from one client address (distinct ports) fill its share; a fourth is refused.
        var sameClient = Enumerable.Range(0, 3).Select(_ => ClientOf(proxy)).ToList();
        foreach (Socket client in sameClient)
        {
            Assert.Equal("in", Exchange(client, "in", Answer));
        }

        using Socket overClientLimit = ClientOf(proxy);
        Assert.Null(Exchange(overClientLimit, "refused"));
        Assert.Equal(1, proxy.Statistics.RefusedClientLimit);

        // Another client address may take the last slot; after that the table itself is full.
        using Socket other = Connect(FrontAt(proxy, Second), new IPEndPoint(IPAddress.Parse("127.0.0.5"), 0));
        Assert.Equal("last", Exchange(other, "last", Answer));
        using Socket overTable = Connect(FrontAt(proxy, Second), new IPEndPoint(IPAddress.Parse("127.0.0.6"), 0));
        Assert.Null(Exchange(overTable, "refused"));

        ProxyStatistics stats = proxy.Statistics;
        Assert.Equal(1, stats.RefusedTableFull);
        Assert.Equal(4, stats.ActiveFlows);
        Assert.Equal(2, proxy.DroppedFor(DropReason.FlowRefused));

        // The flows that were admitted still work.
        foreach (Socket client in sameClient)
        {
            Assert.Equal("still", Exchange(client, "still", Answer));
            client.Dispose();
        }

        Assert.Equal("still", Exchange(other, "still", Answer));
    }

    [Fact]
    public async Task Idle_flows_expire_one_way_flows_later_and_a_new_flow_can_then_open()
    {
        // Backend "A" answers, backend "B" never does (like syslog); each client address sticks to one of them.
        using NaiveUdpEcho answering = NaiveUdpEcho.OnAnyAddress();
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        IPEndPoint[] backends = [answering.Loopback, (IPEndPoint)silent.LocalEndPoint!];
        var limits = new FlowLimits { IdleTimeout = TimeSpan.FromMilliseconds(300), OneWayIdleTimeout = TimeSpan.FromMilliseconds(1500), MaxFlows = 2 };
        await using UdpProxy proxy = ProxyLoopbackTests.StartProxy(backends, limits);

        IPAddress toAnswering = ClientFor(0, backends.Length);
        IPAddress toSilent = ClientFor(1, backends.Length);
        using Socket answered = Connect(FrontAt(proxy, Second), new IPEndPoint(toAnswering, 0));
        using Socket oneWay = Connect(FrontAt(proxy, Second), new IPEndPoint(toSilent, 0));
        Assert.Equal("ping", Exchange(answered, "ping", Answer));
        Assert.Null(Exchange(oneWay, "log line", 50));
        Assert.Equal(2, proxy.Statistics.ActiveFlows);

        // The answered flow goes after ~300 ms; the one-way flow is still there.
        Assert.True(WaitUntil(() => proxy.Statistics.FlowsExpired == 1, TimeSpan.FromSeconds(3)));
        Assert.Equal(1, proxy.Statistics.ActiveFlows);

        // The table had been full (2 of 2); the freed slot takes a new flow.
        using Socket late = Connect(FrontAt(proxy, Second), new IPEndPoint(toAnswering, 0));
        Assert.Equal("late", Exchange(late, "late", Answer));

        Assert.True(WaitUntil(() => proxy.Statistics.ActiveFlows == 0, TimeSpan.FromSeconds(4)));
        Assert.Equal(3, proxy.Statistics.FlowsExpired);
    }

    /// <summary>A loopback client address whose flows go to backend <paramref name="index"/>.</summary>
    private static IPAddress ClientFor(int index, int backendCount)
    {
        for (int host = 10; host < 250; host++)
        {
            var address = IPAddress.Parse($"127.0.0.{host}");
            if (BackendSelector.Pick(UdpEndPoint.FromIPAddress(address, 0).MapToIPv6(), backendCount) == index)
            {
                return address;
            }
        }

        throw new InvalidOperationException("no loopback address maps to that backend");
    }
}
