using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace Rebound.Cli.Tests.Hostile;

/// <summary>
/// Issue 11 item 1, the audit's last loop: every server of the hidden <c>rebound bench serve</c> gets one datagram per
/// kind of refused reply (prohibit and unreachable route, blackhole, firewall OUTPUT drop; see <see cref="FaultHost"/>),
/// then a legitimate client is still answered, from the address it asked. The naive loop these servers had, which let
/// the reply's error escape, dies on the first refused reply in this same setup:
/// <see cref="FaultKindsTests.The_old_loop_that_lets_a_reply_error_escape_dies_on_the_first_refused_reply"/>.
/// Each server must also be bound when it prints its ready line (the synchronous ones used to bind on their thread
/// afterwards, so a client that believed the line lost its first request).
/// </summary>
public sealed class BenchServerFaultTests(ITestOutputHelper output)
{
    private static readonly string[] Implementations =
        ["rebound-sync", "rebound-async", "portable-sync", "portable-async", "naive-sync", "naive-async"];

    private static readonly string[] UdpTables = ["udp", "udp6"];

    [NamespaceFact("iptables")]
    public void Every_bench_server_survives_refused_replies_and_answers_the_next_client()
    {
        using var host = new FaultHost();
        IReadOnlyList<(IPAddress Client, SocketError Error)> probes = host.ProbeRefusals();
        output.WriteLine("a plain sendto() from the server host: " + string.Join(", ", probes.Select(p => $"{p.Client} → {p.Error}")));
        Assert.All(probes, p => Assert.NotEqual(SocketError.Success, p.Error));

        var target = new IPEndPoint(FaultHost.Server, FaultHost.Port);
        foreach (string impl in Implementations)
        {
            string listen = $"[::]:{FaultHost.Port}";
            using ServerProcess server = ServerProcess.Cli(host.ServerHost.Name, "bench", "serve", "--impl", impl, "-l", listen);
            server.WaitForError($" on {listen}");
            Assert.True(Serves(server.Id, FaultHost.Port), $"{impl} printed its ready line before binding port {FaultHost.Port}");

            foreach ((IPAddress address, string setup) in FaultHost.Refusals)
            {
                using Socket refused = host.Client(address);
                refused.SendTo(System.Text.Encoding.ASCII.GetBytes(setup), target);
            }

            using Socket legit = host.Client(FaultHost.Legit);
            legit.SendTo("legit"u8, target);
            (byte[] buffer, int n, IPEndPoint from) = FaultHost.ReceiveReply(legit, $"{impl}: no reply to the legitimate client after 4 refused replies");
            output.WriteLine($"bench serve --impl {impl}: 4 refused replies, then the legitimate client answered ({n} bytes from {from})");
            Assert.Equal("legit"u8.ToArray(), buffer[..n]);
            Assert.Equal(FaultHost.Server, from.Address);
            Assert.False(server.HasExited, $"{impl} exited:\n{server.Error}");
        }
    }

    /// <summary>Whether the namespace of <paramref name="pid"/> has a UDP socket bound to <paramref name="port"/> (any address).</summary>
    private static bool Serves(int pid, int port)
    {
        string hex = ":" + port.ToString("X4", CultureInfo.InvariantCulture) + " ";
        return UdpTables.Any(table => File.ReadLines($"/proc/{pid}/net/{table}").Skip(1)
            .Any(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, string local, ..] && (local + " ").EndsWith(hex, StringComparison.Ordinal)));
    }
}
