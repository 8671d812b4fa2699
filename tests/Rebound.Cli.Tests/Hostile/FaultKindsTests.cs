using System.Net;
using System.Net.Sockets;
using Rebound.Lab;
using Xunit.Abstractions;

namespace Rebound.Cli.Tests.Hostile;

/// <summary>
/// Issue 11 item 1: one datagram of every fault kind reaches each server mode — a reply refused by a prohibit,
/// unreachable and blackhole route and by a firewall OUTPUT drop, a reply whose source address vanished, an empty
/// datagram, a 65507-byte one, a client gone before its reply — and a legitimate client is still answered, both in the
/// same receive batch as the faults and afterwards. The server is frozen (SIGSTOP) while the faults queue up, so every
/// mode meets all of them at once, deterministically. (A request with truncated control data, MSG_CTRUNC, cannot be
/// caused from the network: the control data is only the pktinfo the server asked for; the decoder tests cover it.)
/// The old code's loop, Receive then Reply with nothing caught, dies on the first refused reply in the same setup.
/// </summary>
public sealed class FaultKindsTests(ITestOutputHelper output)
{
    private const string Listen = "[::]:5300";

    [NamespaceFact("iptables")]
    public void The_batched_echo_survives_every_fault_kind() =>
        Survive(new ServerMode("rebound echo", ns => ServerProcess.Cli(ns, "echo", "-l", Listen), "listening on", Echoes: true, Totals: "12 received, 7 answered, 5 replies failed."));

    [NamespaceFact("iptables")]
    public void The_batched_echo_with_several_sockets_and_small_batches_survives_every_fault_kind() =>
        Survive(new ServerMode("rebound echo --sockets 3 --batch 4", ns => ServerProcess.Cli(ns, "echo", "-l", Listen, "--sockets", "3", "--batch", "4"),
            "listening on", Echoes: true, Totals: "12 received, 7 answered, 5 replies failed."));

    [NamespaceFact("iptables")]
    public void The_async_echo_survives_every_fault_kind() =>
        Survive(new ServerMode("rebound echo --async", ns => ServerProcess.Cli(ns, "echo", "--async", "-l", Listen), "listening on", Echoes: true, Totals: "12 received, 7 answered, 5 replies failed."));

    [NamespaceFact("iptables")]
    public void The_naive_echo_survives_every_fault_kind() =>
        // The vanished address does not refuse a naive reply: the kernel picks another source (the bug Rebound fixes).
        Survive(new ServerMode("rebound echo --naive", ns => ServerProcess.Cli(ns, "echo", "--naive", "-l", Listen), "listening on", Echoes: true, Totals: "12 received, 8 answered, 4 replies failed.", WrongSource: true));

    [NamespaceFact("iptables")]
    public void The_proxy_survives_every_fault_kind() =>
        Survive(new ServerMode("rebound proxy", ns => ServerProcess.Cli(ns, "proxy", "-l", Listen, "--to", "127.0.0.1:5400"), "Proxying", Echoes: true, Proxied: true, Totals: "to clients 7 dgrams 65682 B; dropped 5"));

    [NamespaceFact("iptables")]
    public void The_proxy_with_two_threads_survives_every_fault_kind() =>
        Survive(new ServerMode("rebound proxy --threads 2", ns => ServerProcess.Cli(ns, "proxy", "-l", Listen, "--to", "127.0.0.1:5400", "--threads", "2"),
            "Proxying", Echoes: true, Proxied: true, Totals: "to clients 7 dgrams 65682 B; dropped 5"));

    [NamespaceFact("iptables")]
    public void The_batched_dns_sample_survives_every_fault_kind() =>
        Survive(new ServerMode("DnsResponder", ns => DnsResponder(ns), "listening on", Echoes: false, Totals: "answered 5, dropped 7."));

    [NamespaceFact("iptables")]
    public void The_single_socket_dns_sample_survives_every_fault_kind() =>
        Survive(new ServerMode("DnsResponder --threads 0", ns => DnsResponder(ns, "--threads", "0"), "listening on", Echoes: false, Totals: "answered 5, dropped 7."));

    [NamespaceFact("iptables")]
    public void The_aot_echo_sample_survives_every_fault_kind() =>
        Survive(new ServerMode("AotEcho", ns => ServerProcess.Program(ns, "AotEcho.dll", Listen), "listening on", Echoes: true, Totals: "12 received, 7 answered, 5 replies failed."));

    [NamespaceFact("iptables")]
    public void The_lab_servers_survive_a_refused_reply_and_record_it()
    {
        using var host = new FaultHost();
        foreach (ServerKind kind in new[] { ServerKind.Rebound, ServerKind.Naive })
        {
            using LabServer server = host.ServerHost.Run(() => LabServer.Start(kind, new IPEndPoint(IPAddress.IPv6Any, FaultHost.Port)));
            var target = new IPEndPoint(FaultHost.Server, FaultHost.Port);
            foreach ((IPAddress address, _) in FaultHost.Refusals)
            {
                using Socket refused = host.Client(address);
                refused.SendTo("fault"u8, target);
            }

            using Socket legit = host.Client(FaultHost.Legit);
            legit.SendTo("legit"u8, target);
            byte[] buffer = new byte[64];
            int n = legit.Receive(buffer);
            output.WriteLine($"lab {kind} server: 4 refused replies, then a legitimate client answered ({n} bytes); refusals recorded: {server.Refusals.Count}");
            Assert.Equal("legit"u8.ToArray(), buffer[..n]);
            Assert.Equal(kind == ServerKind.Rebound ? 4 : 0, server.Refusals.Count);
        }
    }

    [NamespaceFact("iptables")]
    public void The_old_loop_that_lets_a_reply_error_escape_dies_on_the_first_refused_reply()
    {
        using var host = new FaultHost();
        using ReboundSocket server = host.ServerHost.Run(() => ReboundSocket.Bind($"0.0.0.0:{FaultHost.Port}"));
        Exception? died = null;
        var loop = new Thread(() =>
        {
            byte[] buffer = new byte[2048];
            try
            {
                while (true)
                {
                    ReceivedDatagram request = server.Receive(buffer);
                    server.Reply(request, buffer.AsSpan(0, request.Length)); // what samples/AotEcho did
                }
            }
            catch (Exception e)
            {
                died = e;
            }
        });
        loop.Start();
        using Socket refused = host.Client(FaultHost.Refusals[3].Client);
        using Socket legit = host.Client(FaultHost.Legit);
        refused.SendTo("fault"u8, new IPEndPoint(FaultHost.Server, FaultHost.Port));
        Assert.True(loop.Join(TimeSpan.FromSeconds(10)), "the loop survived a refused reply");
        legit.ReceiveTimeout = 1000;
        legit.SendTo("legit"u8, new IPEndPoint(FaultHost.Server, FaultHost.Port));
        Assert.Throws<SocketException>(() => legit.Receive(new byte[64]));
        output.WriteLine($"the loop without a catch: ended by {died!.GetType().Name} ({died.Message}); the next client got nothing");
        Assert.IsAssignableFrom<SocketException>(died);
    }

    /// <summary>A server to attack: how to start it, what it prints when ready, and what it should report.</summary>
    /// <remarks><paramref name="Totals"/> is what its last statistics line must say: 12 requests (2 before, 9 faults, 1
    /// after), 5 replies refused (4 by routes or the firewall, 1 for the vanished address; the naive echo's reply to
    /// the vanished address leaves from another one), the empty and the 65507-byte one dropped by DNS.</remarks>
    private sealed record ServerMode(
        string Name, Func<string, ServerProcess> Start, string Ready, bool Echoes, string? Totals, bool Proxied = false, bool WrongSource = false);

    private void Survive(ServerMode mode)
    {
        using var host = new FaultHost();
        IReadOnlyList<(IPAddress Client, SocketError Error)> probes = host.ProbeRefusals();
        output.WriteLine("a plain sendto() from the server host: " + string.Join(", ", probes.Select(p => $"{p.Client} → {p.Error}")));
        Assert.All(probes, p => Assert.NotEqual(SocketError.Success, p.Error));

        // The proxy's backend: a real echo server on the server host's loopback, never frozen.
        using ServerProcess? backend = mode.Proxied ? ServerProcess.Cli(host.ServerHost.Name, "echo", "--async", "-l", "127.0.0.1:5400") : null;
        backend?.WaitForError("listening on");
        using ServerProcess server = mode.Start(host.ServerHost.Name);
        server.WaitForError(mode.Ready);

        var target = new IPEndPoint(FaultHost.Server, FaultHost.Port);
        byte[] query = DnsQueries.HostA(0x1111);
        using Socket legit = host.Client(FaultHost.Legit);
        AssertAnswered(mode, legit, target, query, "before the faults");
        using Socket vanishing = host.Client(FaultHost.Legit);
        var vanishingTarget = new IPEndPoint(FaultHost.Vanishing, FaultHost.Port);
        AssertAnswered(mode, vanishing, vanishingTarget, query, "at 192.0.2.50 while it exists", mode.WrongSource ? null : FaultHost.Vanishing);

        server.Freeze();
        long delivered = FaultHost.Snmp(server.Id, "Ip", "InDelivers");
        var refusedClients = FaultHost.Refusals.Select(r => host.Client(r.Client)).ToList();
        using Socket empty = host.Client(FaultHost.Legit);
        using Socket oversize = host.Client(FaultHost.Legit);
        Socket gone = host.Client(FaultHost.Legit);
        using Socket queued = host.Client(FaultHost.Legit);
        try
        {
            foreach (Socket client in refusedClients)
            {
                client.SendTo(query, target);
            }

            vanishing.SendTo(query, vanishingTarget);
            empty.SendTo([], target);
            oversize.SendTo(new byte[65507], target);
            gone.SendTo(query, target);
            queued.SendTo(DnsQueries.HostA(0x2222), target);

            // Every one is in the server's socket queues (delivered by IP) before its destination address goes away.
            SpinWait.SpinUntil(() => FaultHost.Snmp(server.Id, "Ip", "InDelivers") >= delivered + 9, TimeSpan.FromSeconds(10));
            host.RemoveVanishingAddress();
            gone.Dispose();
        }
        finally
        {
            server.Resume();
            foreach (Socket client in refusedClients)
            {
                client.Dispose();
            }
        }

        // The legitimate request queued behind the faults (in the same receive batch) and a new one are both answered.
        AssertReply(mode, queued, DnsQueries.HostA(0x2222), "queued behind the faults");
        AssertAnswered(mode, legit, target, DnsQueries.HostA(0x3333), "after the faults");
        int? emptyReply = TryReceive(empty);
        int? oversizeReply = TryReceive(oversize);
        Assert.False(server.HasExited, $"{mode.Name} exited:\n{server.Error}");

        server.Signal("TERM");
        int exit = server.WaitForExit(TimeSpan.FromSeconds(30));
        string totals = (server.Error + server.Output).Split('\n').LastOrDefault(l => l.Contains("received", StringComparison.Ordinal)
            || l.Contains("answered", StringComparison.Ordinal) || l.Contains("Stopped", StringComparison.Ordinal))?.Trim() ?? "(no totals line)";
        output.WriteLine(
            $"{mode.Name}: 9 fault-kind datagrams (4 refused routes/firewall, 1 vanished source, empty, 65507 B, client gone) + 3 legit: " +
            $"legit answered 3/3; empty → {Describe(emptyReply)}; 65507 B → {Describe(oversizeReply)}; SIGTERM → exit {exit}; {totals}");
        Assert.Equal(0, exit);
        if (mode.Echoes && !mode.Proxied)
        {
            Assert.Equal(0, emptyReply);
            Assert.Equal(65507, oversizeReply);
        }

        if (mode.Totals is not null)
        {
            Assert.EndsWith(mode.Totals, totals, StringComparison.Ordinal);
        }
    }

    private static ServerProcess DnsResponder(string netns, params string[] extra) => DnsQueries.StartResponder(netns, ["-l", Listen, .. extra]);

    private static void AssertAnswered(ServerMode mode, Socket client, IPEndPoint target, byte[] query, string when, IPAddress? source = null)
    {
        client.SendTo(query, target);
        AssertReply(mode, client, query, when, source);
    }

    private static void AssertReply(ServerMode mode, Socket client, byte[] query, string when, IPAddress? source = null)
    {
        (byte[] buffer, int n, IPEndPoint from) = FaultHost.ReceiveReply(client, $"{mode.Name}: the legitimate client got no reply {when}");
        if (source is not null || !mode.WrongSource)
        {
            Assert.Equal(source ?? FaultHost.Server, from.Address);
        }

        if (mode.Echoes)
        {
            Assert.Equal(query, buffer[..n]);
        }
        else
        {
            Assert.True(n > 12 && buffer[0] == query[0] && buffer[1] == query[1] && (buffer[2] & 0x80) != 0, $"not a DNS response to the query ({n} bytes)");
        }
    }

    private static int? TryReceive(Socket client)
    {
        client.ReceiveTimeout = 2000;
        try
        {
            return client.Receive(new byte[65536]);
        }
        catch (SocketException)
        {
            return null;
        }
    }

    private static string Describe(int? reply) => reply is int n ? $"{n}-byte reply" : "no reply";
}
