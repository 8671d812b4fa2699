using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Rebound.Cli.Tests.Support;
using Rebound.Lab;

namespace Rebound.Cli.Tests.Proxy;

/// <summary>
/// UDP GSO on the proxy's reply path, end to end: <c>rebound proxy</c> on the field report's Docker host, a client in
/// the container asking the host's eth0 address with a connected socket, a backend that answers a burst at once. The
/// replies go back to the client as segmented runs (fewer frames on docker0 than replies), yet the client receives
/// every reply, exactly and in order, from the address it asked. With <c>REBOUND_UDP_GSO=0</c> in the proxy's
/// environment each reply is a frame of its own.
/// </summary>
public sealed class ProxySegmentationTests
{
    private const int Burst = 64;
    private const int Size = 200;

    [NamespaceFact("tcpdump")]
    public void A_burst_is_answered_exactly_from_the_asked_address_in_fewer_frames_than_replies_and_one_frame_each_with_gso_off()
    {
        using var topology = FieldReportTopology.Create();
        using BurstEcho backend = topology.Host.Run(() => new BurstEcho(Burst));

        int segmented = ProxiedBurst(topology, backend, gsoOff: false);
        int plain = ProxiedBurst(topology, backend, gsoOff: true);

        Assert.True(segmented < Burst, $"{segmented} reply frames for {Burst} replies: the proxy did not segment");
        Assert.Equal(Burst, plain);
    }

    /// <summary>Runs one proxy, sends it a burst from the container, checks the replies; returns the reply frames on docker0.</summary>
    private static int ProxiedBurst(FieldReportTopology topology, BurstEcho backend, bool gsoOff)
    {
        int port = topology.Host.Run(FreePort);
        ProcessStartInfo start = CliProcess.StartInfo(topology.Host.Name, CliProcess.AssemblyPath,
            ["proxy", "--listen", $"[::]:{port}", "--to", $"127.0.0.1:{backend.Port}"]);
        if (gsoOff)
        {
            start.Environment["REBOUND_UDP_GSO"] = "0";
        }

        using Process proxy = Process.Start(start)!;
        try
        {
            CliProcess.WaitForStderr(proxy, "Proxying");
            // -B 8192: tcpdump's default ring in immediate mode drops most of a burst of a few dozen frames.
            using var capture = TcpdumpRecorder.Start(topology.Host, gsoOff ? "proxy-no-gso.pcap" : "proxy-gso.pcap", "-i", "docker0", "udp");
            using Socket client = topology.Container.Run(() => UdpClients.Connect(new IPEndPoint(FieldReportTopology.HostEth0V4, port)));
            byte[][] requests = [.. Enumerable.Range(0, Burst).Select(i => Payload(gsoOff ? 1 : 0, i))];
            foreach (byte[] request in requests)
            {
                client.Send(request);
            }

            // The connected client accepts only replies from 198.51.100.13 (a naive proxy would answer from 192.0.2.1).
            client.ReceiveTimeout = 5000;
            byte[] buffer = new byte[2048];
            var replies = new List<string>();
            while (replies.Count < Burst || client.Poll(TimeSpan.FromMilliseconds(300), SelectMode.SelectRead))
            {
                int n = client.Receive(buffer);
                replies.Add(Convert.ToHexString(buffer, 0, n));
            }

            Assert.Equal(requests.Select(r => Convert.ToHexString(r)), replies);
            string pcap = capture.Stop();
            List<int> frames = TcpdumpRecorder.ReadUdpLengths(pcap, $"udp and src host {FieldReportTopology.HostEth0V4} and src port {port}");
            Assert.Equal(Burst * Size, frames.Sum());
            Assert.All(frames, f => Assert.Equal(0, f % Size));
            return frames.Count;
        }
        finally
        {
            ProcessRunner.Run("kill", ["-TERM", proxy.Id.ToString(CultureInfo.InvariantCulture)]);
            if (!proxy.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                proxy.Kill(entireProcessTree: true);
            }
        }
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
        probe.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static byte[] Payload(int round, int index)
    {
        byte[] payload = new byte[Size];
        for (int i = 0; i < Size; i++)
        {
            payload[i] = (byte)((round * 101) + (index * 7) + i);
        }

        return payload;
    }

    /// <summary>
    /// A backend that waits for a whole burst, then answers every request in it with one batched send (the way a
    /// batching server answers what one receive brought), so the proxy finds the replies queued together.
    /// </summary>
    private sealed class BurstEcho : IDisposable
    {
        private readonly Socket _socket;
        private readonly Thread _thread;
        private readonly int _burst;

        public BurstEcho(int burst)
        {
            _burst = burst;
            _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
            _thread = new Thread(Run) { IsBackground = true, Name = "burst-echo" };
            _thread.Start();
        }

        public int Port { get; }

        private void Run()
        {
            using var batch = new TransmitBatch(_burst, 2048);
            byte[] buffer = new byte[2048];
            var any = UdpEndPoint.FromIPAddress(IPAddress.Any, 0);
            try
            {
                while (true)
                {
                    for (int i = 0; i < _burst; i++)
                    {
                        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                        int n = _socket.ReceiveFrom(buffer, ref from);
                        batch.Add(UdpEndPoint.FromIPEndPoint((IPEndPoint)from), any, buffer.AsSpan(0, n));
                    }

                    _socket.SendBatch(batch);
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
