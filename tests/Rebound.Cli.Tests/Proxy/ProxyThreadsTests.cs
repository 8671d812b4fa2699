using System.Net;
using System.Net.Sockets;
using System.Text;
using Rebound.Proxy;
using static Rebound.Cli.Tests.Proxy.ProxyTestHelpers;
using static Rebound.TestSupport.UdpClients;

namespace Rebound.Cli.Tests.Proxy;

/// <summary>
/// The proxy with two event loops on loopback: the kernel spreads client flows over the loops' SO_REUSEPORT sockets,
/// every client still gets its reply from the address it asked, a flow stays on one loop, and the limits split as documented.
/// In the descriptor-counting collection: its dozens of client sockets and allocations must not overlap the tests that
/// count descriptors or allocated bytes.
/// </summary>
[Collection(DescriptorCounting.Name)]
public sealed class ProxyThreadsTests
{
    private const int Clients = 40;
    private static readonly IPAddress Third = IPAddress.Parse("127.0.0.3");

    internal static UdpProxy StartProxy(IPEndPoint backend, int threads, FlowLimits? limits = null, string listen = "[::]:0")
    {
        var proxy = new UdpProxy(new ProxyOptions
        {
            Listen = [IPEndPoint.Parse(listen)],
            Backends = [backend],
            Limits = limits ?? new FlowLimits(),
            Threads = threads,
        });
        proxy.Start();
        return proxy;
    }

    [Fact]
    public async Task Two_loops_answer_many_clients_from_the_address_each_asked_where_the_naive_server_alone_fails()
    {
        using NaiveUdpEcho backend = NaiveUdpEcho.OnAnyAddress();
        await using UdpProxy proxy = StartProxy(backend.Loopback, threads: 2);

        // The bug: a client bound to 127.0.0.1 asking 127.0.0.2 drops the naive server's reply (it comes from 127.0.0.1).
        using (Socket direct = Connect(new IPEndPoint(Second, backend.Port), new IPEndPoint(IPAddress.Loopback, 0)))
        {
            Assert.Null(Exchange(direct, "direct"));
        }

        // Through the proxy every connected client gets its reply, so it came from the address that client asked.
        var clients = new List<Socket>();
        try
        {
            for (int i = 0; i < Clients; i++)
            {
                IPAddress asked = i % 2 == 0 ? Second : Third;
                clients.Add(Connect(FrontAt(proxy, asked), new IPEndPoint(IPAddress.Loopback, 0)));
                Assert.Equal($"hello {i}", Exchange(clients[i], $"hello {i}", Answer));
            }

            Assert.True(WaitUntil(() => proxy.Statistics.DatagramsToClient == Clients, TimeSpan.FromSeconds(2)), proxy.Statistics.ToString());
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }

        // Both loops carried flows (40 flows all hashed to one of two sockets: odds 2^-39), and the totals are their sums.
        IReadOnlyList<ProxyStatistics> loops = proxy.LoopStatistics;
        Assert.Equal(2, loops.Count);
        Assert.All(loops, loop => Assert.True(loop.FlowsCreated > 0, $"a loop carried no flow: {string.Join(" / ", loops)}"));
        Assert.Equal(Clients, loops.Sum(l => l.FlowsCreated));
        Assert.Equal(Clients, proxy.Statistics.FlowsCreated);
        Assert.Equal(Clients, proxy.Statistics.DatagramsToBackend);
        Assert.Equal(loops.Sum(l => l.BytesToClient), proxy.Statistics.BytesToClient);
    }

    [Fact]
    public async Task One_clients_datagrams_stay_on_one_flow_and_clients_get_flows_of_their_own()
    {
        using var backend = new SourcePortEcho();
        await using UdpProxy proxy = StartProxy(backend.EndPoint, threads: 2);

        // The backend answers with the port each datagram came from: the flow's upstream socket.
        var upstreamPorts = new HashSet<string>();
        for (int c = 0; c < 8; c++)
        {
            using Socket client = ClientOf(proxy);
            var seen = new HashSet<string>();
            for (int i = 0; i < 10; i++)
            {
                seen.Add(Exchange(client, "which flow?", Answer) ?? "(no reply)");
            }

            string port = Assert.Single(seen);
            Assert.NotEqual("(no reply)", port);
            Assert.True(upstreamPorts.Add(port), $"client {c} shared upstream port {port} with another client");
        }

        Assert.Equal(8, proxy.Statistics.FlowsCreated);
    }

    /// <summary>
    /// 40 clients on 127.0.0.1 (distinct source ports) each open a flow. --max-flows 4 is split, 2 per loop, although
    /// the kernel spread 40 flows over them; --max-flows-per-client 1 applies in each loop, so one client address holds
    /// one flow per loop, 2 in all (as documented).
    /// </summary>
    [Theory]
    [InlineData(4, FlowLimits.DefaultMaxFlowsPerClient, 2, Clients - 4, 0)]
    [InlineData(FlowLimits.DefaultMaxFlows, 1, 1, 0, Clients - 2)]
    public async Task Limits_with_two_loops_behave_as_documented(int maxFlows, int maxPerClient, int perLoop, int refusedFull, int refusedClient)
    {
        using NaiveUdpEcho backend = NaiveUdpEcho.OnAnyAddress();
        var limits = new FlowLimits { MaxFlows = maxFlows, MaxFlowsPerClient = maxPerClient };
        await using UdpProxy proxy = StartProxy(backend.Loopback, threads: 2, limits);

        var clients = new List<Socket>();
        try
        {
            for (int i = 0; i < Clients; i++)
            {
                clients.Add(ClientOf(proxy));
                clients[i].Send("open a flow"u8);
            }

            Assert.True(WaitUntil(() => Decided(proxy) == Clients, TimeSpan.FromSeconds(3)), proxy.Statistics.ToString());
            ProxyStatistics total = proxy.Statistics;
            Assert.Equal(2 * perLoop, total.ActiveFlows);
            Assert.Equal(refusedFull, total.RefusedTableFull);
            Assert.Equal(refusedClient, total.RefusedClientLimit);
            Assert.All(proxy.LoopStatistics, loop => Assert.Equal(perLoop, loop.ActiveFlows));
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public void More_threads_than_max_flows_is_refused_with_a_reason()
    {
        var options = new ProxyOptions
        {
            Listen = [IPEndPoint.Parse("[::]:0")],
            Backends = [IPEndPoint.Parse("127.0.0.1:9")],
            Limits = new FlowLimits { MaxFlows = 1 },
            Threads = 2,
        };
        Assert.Contains("at least the number of threads", options.Validate(), StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new UdpProxy(options));
        Assert.Contains("threads must be between 1", (options with { Threads = 0 }).Validate(), StringComparison.Ordinal);

        // The split: 5 flows over 2 loops is 3 + 2; the per-client limit is not split.
        ProxyOptions five = options with { Limits = new FlowLimits { MaxFlows = 5, MaxFlowsPerClient = 7 } };
        Assert.Equal([3, 2], [five.LimitsOfLoop(0).MaxFlows, five.LimitsOfLoop(1).MaxFlows]);
        Assert.Equal(7, five.LimitsOfLoop(1).MaxFlowsPerClient);
    }

    /// <summary>New flows the proxy has admitted or refused so far.</summary>
    private static long Decided(UdpProxy proxy)
    {
        ProxyStatistics s = proxy.Statistics;
        return s.FlowsCreated + s.RefusedTableFull + s.RefusedClientLimit;
    }

    /// <summary>A loopback backend that answers each datagram with the source port it came from.</summary>
    private sealed class SourcePortEcho : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly Thread _thread;

        public SourcePortEcho()
        {
            _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
            _thread = new Thread(Run) { IsBackground = true, Name = "source-port-echo" };
            _thread.Start();
        }

        public IPEndPoint EndPoint { get; }

        private void Run()
        {
            byte[] buffer = new byte[2048];
            try
            {
                while (true)
                {
                    EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                    _ = _socket.ReceiveFrom(buffer, SocketFlags.None, ref from);
                    _socket.SendTo(Encoding.ASCII.GetBytes(((IPEndPoint)from).Port.ToString(System.Globalization.CultureInfo.InvariantCulture)), from);
                }
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }

        public void Dispose()
        {
            _socket.Dispose();
            _thread.Join(TimeSpan.FromSeconds(2));
        }
    }
}
