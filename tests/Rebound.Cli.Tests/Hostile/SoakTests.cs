using System.Globalization;
using System.Text.Json;
using Rebound.Lab;
using Xunit.Abstractions;

namespace Rebound.Cli.Tests.Hostile;

/// <summary>
/// Issue 11: a soak of 10⁶ datagrams through the batched echo and through the proxy, in a namespace of its own (so its
/// kernel counters are the test's alone), driven by <c>rebound bench</c> (closed loop; the echo is overloaded on purpose
/// with 8 sockets × 1024 in flight, more than its receive buffer holds, so that the kernel does drop datagrams).
/// Counts and memory only, no timing: every datagram the client did not get back must be one the kernel counted as
/// dropped (UDP InErrors + SndbufErrors of /proc/net/snmp in the namespace; a reply later than the loss timeout is
/// counted by the client as late, not lost), and the server's resident memory (VmRSS of /proc/PID/status) must not
/// grow between the end of a 5×10⁴-datagram warm-up and the end of the soak by more than 16 MB (16 bytes a datagram).
/// </summary>
public sealed class SoakTests(ITestOutputHelper output)
{
    private const long Datagrams = 1_000_000;
    private const long MaxGrowthBytes = 16L << 20;

    [NamespaceFact]
    public void A_million_datagrams_through_the_batched_echo_lose_only_what_the_kernel_dropped_in_flat_memory()
    {
        using NetworkNamespace ns = NetworkNamespace.Create("soak");
        using ServerProcess echo = ServerProcess.Cli(ns.Name, "echo", "-l", "127.0.0.1:5300");
        echo.WaitForError("listening on");
        Soak(ns, "rebound echo (batched), 8 × 1024 in flight", echo, "--sockets", "8", "--in-flight", "1024");
        StopCleanly(echo);
    }

    [NamespaceFact]
    public void A_million_datagrams_through_the_proxy_lose_only_what_the_kernel_dropped_in_flat_memory()
    {
        using NetworkNamespace ns = NetworkNamespace.Create("soak");
        using ServerProcess backend = ServerProcess.Cli(ns.Name, "echo", "-l", "127.0.0.1:5400");
        backend.WaitForError("listening on");
        using ServerProcess proxy = ServerProcess.Cli(ns.Name, "proxy", "-l", "127.0.0.1:5300", "--to", "127.0.0.1:5400");
        proxy.WaitForError("Proxying");
        Soak(ns, "rebound proxy → rebound echo, 4 × 64 in flight", proxy);
        StopCleanly(proxy);
        StopCleanly(backend);
    }

    private void Soak(NetworkNamespace ns, string name, ServerProcess server, params string[] load)
    {
        Bench(ns, Datagrams / 20, load); // warm-up: JIT tiers, buffers, flows
        long rssWarm = ResidentBytes(server.Id);
        long droppedBefore = KernelDrops(server.Id);

        JsonElement run = Bench(ns, Datagrams, load);
        long rssEnd = ResidentBytes(server.Id);
        long dropped = KernelDrops(server.Id) - droppedBefore;
        long sent = run.GetProperty("sent").GetInt64();
        long replies = run.GetProperty("replies").GetInt64();
        long lost = run.GetProperty("lost").GetInt64();
        long late = run.GetProperty("unexpected").GetInt64();

        output.WriteLine(
            $"{name}: {sent} sent, {replies} answered, {lost} unanswered in time ({late} of them late), kernel drops (UDP InErrors + SndbufErrors) {dropped}; " +
            $"server VmRSS {rssWarm / 1024} KiB after the warm-up, {rssEnd / 1024} KiB after the soak ({(rssEnd - rssWarm) / 1024:+#;-#;0} KiB)");
        Assert.Equal(Datagrams, sent);
        Assert.Equal(sent - replies, lost);
        Assert.Equal(dropped, lost - late);
        Assert.True(rssEnd - rssWarm < MaxGrowthBytes, $"resident memory grew by {(rssEnd - rssWarm) >> 10} KiB over {Datagrams} datagrams");
        Assert.False(server.HasExited);
    }

    /// <summary>Runs <c>rebound bench</c> in the namespace for <paramref name="count"/> datagrams; returns its JSON.</summary>
    private static JsonElement Bench(NetworkNamespace ns, long count, string[] load)
    {
        ProcessResult bench = ns.Exec(
            "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "Rebound.Cli.dll"), "bench", "127.0.0.1:5300", "--count", count.ToString(CultureInfo.InvariantCulture),
             "--duration", "120", "--warmup", "0", "--loss-timeout", "2", "--json", .. load],
            TimeSpan.FromSeconds(180));
        Assert.True(bench.Succeeded, $"rebound bench failed ({bench.ExitCode}): {bench.StandardError}");
        using var document = JsonDocument.Parse(bench.StandardOutput);
        return document.RootElement.Clone();
    }

    /// <summary>UDP datagrams the kernel dropped in the namespace of <paramref name="pid"/>: receive errors (full buffers) and send buffer errors.</summary>
    private static long KernelDrops(int pid) =>
        FaultHost.Snmp(pid, "Udp", "InErrors") + FaultHost.Snmp(pid, "Udp", "SndbufErrors");

    private static long ResidentBytes(int pid)
    {
        string line = File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    private static void StopCleanly(ServerProcess server)
    {
        server.Signal("TERM");
        Assert.Equal(0, server.WaitForExit(TimeSpan.FromSeconds(30)));
    }
}
