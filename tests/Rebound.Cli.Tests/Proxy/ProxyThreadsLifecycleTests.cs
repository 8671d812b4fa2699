using System.Net;
using System.Net.Sockets;
using Rebound.Proxy;
using static Rebound.Cli.Tests.Proxy.ProxyTestHelpers;
using static Rebound.TestSupport.UdpClients;

namespace Rebound.Cli.Tests.Proxy;

/// <summary>Stopping and failing to start a proxy with several event loops: every loop drains, nothing stays bound or open.</summary>
[Collection(DescriptorCounting.Name)]
public sealed class ProxyThreadsLifecycleTests
{
    [Fact]
    public async Task Stopping_two_loops_delivers_replies_in_flight_on_both_then_frees_the_port_and_every_descriptor()
    {
        List<string> before = OpenDescriptors();
        using (NaiveUdpEcho slow = NaiveUdpEcho.OnAnyAddress(delay: TimeSpan.FromMilliseconds(60)))
        {
            UdpProxy proxy = ProxyThreadsTests.StartProxy(slow.Loopback, threads: 2);
            IPEndPoint front = FrontAt(proxy, Second);

            // Enough clients that both loops hold flows; the one-threaded backend answers them one by one over ~0.5 s,
            // within the 1 s drain, so most replies are still in flight when the stop comes.
            var clients = Enumerable.Range(0, 8).Select(_ => Connect(front, new IPEndPoint(IPAddress.Loopback, 0))).ToList();
            foreach (Socket client in clients)
            {
                client.Send("in flight"u8);
            }

            Assert.True(WaitUntil(() => proxy.Statistics.DatagramsToBackend == clients.Count, TimeSpan.FromSeconds(2)), proxy.Statistics.ToString());
            Assert.All(proxy.LoopStatistics, loop => Assert.True(loop.DatagramsToBackend > 0, "a loop had nothing in flight"));

            // Datagrams sent after the stop are not read; every reply to one sent before arrives. (All are sent before
            // any is read: a datagram sent once the proxy has closed draws ICMP, whose error would hide a queued reply.)
            Task stopping = proxy.StopAsync();
            foreach (Socket client in clients)
            {
                client.Send("after stop"u8);
            }

            foreach (Socket client in clients)
            {
                Assert.Equal("in flight", Receive(client));
            }

            await stopping.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(clients.Count, proxy.Statistics.DatagramsToBackend);
            Assert.Equal(clients.Count, proxy.Statistics.DatagramsToClient);
            Assert.Equal(0, proxy.Statistics.ActiveFlows);
            await proxy.DisposeAsync();
            clients.ForEach(c => c.Dispose());

            // The front port is free again: a socket without SO_REUSEPORT can bind it.
            using var rebind = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
            rebind.Bind(new IPEndPoint(IPAddress.IPv6Any, front.Port));
        }

        AssertNoDescriptorLeak(before);
    }

    private static string Receive(Socket client)
    {
        byte[] buffer = new byte[64];
        client.ReceiveTimeout = 5 * Answer;
        try
        {
            return System.Text.Encoding.ASCII.GetString(buffer, 0, client.Receive(buffer));
        }
        catch (SocketException e)
        {
            return $"(no reply: {e.SocketErrorCode})";
        }
    }

    [Fact]
    public async Task A_port_in_use_fails_the_start_names_the_address_and_leaves_nothing_bound()
    {
        List<string> before = OpenDescriptors();
        int free;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            probe.Bind(new IPEndPoint(Second, 0));
            free = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        using (var taken = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            taken.Bind(new IPEndPoint(Second, 0));
            var busy = (IPEndPoint)taken.LocalEndPoint!;
            var proxy = new UdpProxy(new ProxyOptions
            {
                Listen = [new IPEndPoint(Second, free), busy],
                Backends = [IPEndPoint.Parse("127.0.0.1:9")],
                Threads = 2,
            });
            await using (proxy)
            {
                // SO_REUSEPORT does not let the proxy join a socket that did not set it: the port is still in use.
                SocketException e = Assert.Throws<SocketException>(proxy.Start);
                Assert.Equal(SocketError.AddressAlreadyInUse, e.SocketErrorCode);
                Assert.Equal(busy, proxy.FailedListen);
            }

            // The address bound before the failure was released.
            using var rebind = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            rebind.Bind(new IPEndPoint(Second, free));
        }

        AssertNoDescriptorLeak(before);
    }
}
