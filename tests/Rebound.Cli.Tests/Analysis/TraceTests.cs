using System.Net;
using System.Text.Json;
using Rebound.Cli.Analysis;
using Rebound.Cli.Infrastructure;
using Rebound.Cli.Lab;
using Rebound.Cli.Tests.Support;
using Rebound.Cli.Tests.Output;
using Rebound.Lab;

namespace Rebound.Cli.Tests.Analysis;

/// <summary>
/// <c>rebound trace --netns</c> live in the field-report topology: it names the naive server's failure as it happens,
/// and stays quiet for the Rebound server. Each trace is bounded by --duration.
/// </summary>
public sealed class TraceTests
{
    [NamespaceFact]
    public void Trace_names_the_naive_failure_live()
    {
        using var topology = FieldReportTopology.Create();
        (int exit, string output, string[] replies, int port) = TraceExchange(topology, naive: true, json: true);

        Assert.All(replies, r => Assert.Null(r));
        Assert.Equal(ExitCodes.Finding, exit);
        JsonElement[] events = [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonSchemaAssert.Valid("trace", l))];
        JsonElement finding = Assert.Single(events, e => e.GetProperty("event").GetString() == "finding");
        Assert.Equal($"192.0.2.1:{port}", finding.GetProperty("replySource").GetString());
        Assert.Equal($"198.51.100.13:{port}", finding.GetProperty("server").GetString());
        Assert.Single(events, e => e.GetProperty("event").GetString() == "rejected");
        JsonElement summary = events[^1];
        Assert.Equal("summary", summary.GetProperty("event").GetString());
        Assert.Equal(1, summary.GetProperty("summary").GetProperty("findings").GetInt32());
    }

    [NamespaceFact]
    public void Trace_stays_quiet_for_the_rebound_server()
    {
        using var topology = FieldReportTopology.Create();
        (int exit, string output, string[] replies, _) = TraceExchange(topology, naive: false, json: false);

        Assert.All(replies, r => Assert.NotNull(r));
        Assert.Equal(ExitCodes.Success, exit);
        Assert.Contains("none: every reply came from the endpoint its request went to", output, StringComparison.Ordinal);
        Assert.Contains("4 UDP", output, StringComparison.Ordinal);
    }

    [NamespaceFact]
    public void Trace_on_all_interfaces_prints_the_finding_for_people()
    {
        using var topology = FieldReportTopology.Create();
        (int exit, string output, _, int port) = TraceExchange(topology, naive: true, json: false, iface: null);
        Assert.Equal(ExitCodes.Finding, exit);
        Assert.Contains($"reply from unexpected source 192.0.2.1:{port}", output, StringComparison.Ordinal);
        Assert.Contains("rejected by the client", output, StringComparison.Ordinal);
    }

    [NamespaceFact]
    public void A_trace_that_falls_behind_still_counts_each_copy_once_by_kernel_time()
    {
        // -i any sees each packet twice (vethc and docker0). The writer stalls 150 ms on every event it prints, as a
        // slow terminal does: with user-space time the second copy of the packet after a finding was stamped 150 ms
        // late, missed the 1 ms duplicate window and was counted again.
        using var topology = FieldReportTopology.Create();
        var slow = new SlowWriter(TimeSpan.FromMilliseconds(150));
        (int exit, _, string[] replies, _) = TraceExchange(topology, naive: true, json: true, iface: null, output: slow);

        Assert.All(replies, r => Assert.Null(r));
        Assert.Equal(ExitCodes.Finding, exit);
        using var summary = JsonDocument.Parse(slow.ToString().Trim().Split('\n')[^1]);
        JsonElement counts = summary.RootElement.GetProperty("summary");
        Assert.True((4, 2) == (counts.GetProperty("udpDatagrams").GetInt32(), counts.GetProperty("portUnreachables").GetInt32()), slow.ToString());
    }

    [NamespaceFact]
    public void The_kernel_filter_keeps_tcp_and_arp_out_of_the_trace()
    {
        using var topology = FieldReportTopology.Create();
        using var listener = topology.Host.Run(() =>
        {
            var tcp = new System.Net.Sockets.TcpListener(IPAddress.Any, 0);
            tcp.Start();
            return tcp.Server;
        });
        int tcpPort = ((IPEndPoint)listener.LocalEndPoint!).Port;
        (int exit, string output, _, _) = TraceExchange(topology, naive: false, json: true, iface: null, before: () =>
        {
            // TCP (and the ARP it may need) from the container to the host, around the UDP exchange: 20 connections
            // are well over 300 packets on -i any (each is seen on vethc and on docker0).
            for (int i = 0; i < 20; i++)
            {
                using var client = topology.Container.Run(() => new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp));
                client.Connect(new IPEndPoint(FieldReportTopology.HostEth0V4, tcpPort));
                client.Send("tcp bytes"u8.ToArray());
            }
        });

        Assert.Equal(ExitCodes.Success, exit);
        using var summary = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        JsonElement counts = summary.RootElement.GetProperty("summary");
        // Only UDP and ICMP reach user space. What is left besides the UDP exchange is IPv6 neighbour discovery and MLD
        // on the fresh links (ICMPv6): 22 packets were seen on a loaded machine, far below the 300-odd TCP packets
        // that a missing filter would let through.
        int others = counts.GetProperty("packets").GetInt32() - counts.GetProperty("udpDatagrams").GetInt32()
                     - counts.GetProperty("duplicatesIgnored").GetInt32() - counts.GetProperty("portUnreachables").GetInt32();
        Assert.True(others < 60, summary.RootElement.ToString());
    }

    [NamespaceFact]
    public void Trace_with_an_unknown_namespace_or_interface_is_a_usage_error()
    {
        var error = new StringWriter();
        int exit = LiveTrace.Run(new TraceSettings(null, "rb-no-such-namespace", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), false), new StringWriter(), error, CancellationToken.None);
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("no network namespace named 'rb-no-such-namespace'", error.ToString(), StringComparison.Ordinal);

        using var topology = FieldReportTopology.Create();
        error = new StringWriter();
        exit = LiveTrace.Run(new TraceSettings("eth9", topology.Host.Name, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), false), new StringWriter(), error, CancellationToken.None);
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("no interface named 'eth9'", error.ToString(), StringComparison.Ordinal);
    }

    [RootFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Trace_without_root_is_exit_code_4()
    {
        ProcessResult result = UnprivilegedCli.Run("trace", "-i", "lo", "--duration", "1");
        Assert.True(result.ExitCode == ExitCodes.Permission, result.StandardOutput + result.StandardError);
        Assert.Contains("capturing needs root or CAP_NET_RAW", result.StandardError, StringComparison.Ordinal);
    }

    [NamespaceFact]
    public void Ctrl_c_stops_the_trace_cleanly_with_a_summary()
    {
        using var ns = NetworkNamespace.Create("trace");
        using System.Diagnostics.Process trace = CliProcess.Start("trace", "--netns", ns.Name, "--json");
        Task<string> output = trace.StandardOutput.ReadToEndAsync();
        CliProcess.WaitForStderr(trace, "Tracing UDP and ICMP on all interfaces in network namespace");
        ProcessRunner.Run("kill", ["-INT", trace.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (!trace.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            trace.Kill();   // never leave a trace running (and its namespace held) behind a failed test
            Assert.Fail("trace ignored SIGINT");
        }

        Assert.Equal(ExitCodes.Success, trace.ExitCode);
        JsonSchemaAssert.ValidLines("trace", output.Result);
        using var summary = JsonDocument.Parse(output.Result.Trim().Split('\n')[^1]);
        Assert.Equal("summary", summary.RootElement.GetProperty("event").GetString());
    }

    private static (int Exit, string Output, string[] Replies, int Port) TraceExchange(
        FieldReportTopology topology, bool naive, bool json, string? iface = "docker0", StringWriter? output = null, Action? before = null)
    {
        var any = new IPEndPoint(IPAddress.Any, 0);
        using LabServer server = topology.Host.Run(() => naive ? LabServer.Start(ServerKind.Naive, any) : LabServer.Start(ServerKind.Rebound, any));
        output ??= new StringWriter();
        using var started = new ManualResetEventSlim();
        var settings = new TraceSettings(iface, topology.Host.Name, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(2), json);
        Task<int> trace = Task.Run(() => LiveTrace.Run(settings, output, new StringWriter(), CancellationToken.None, started.Set));
        Assert.True(started.Wait(TimeSpan.FromSeconds(10)), "the trace did not start");

        before?.Invoke();
        using var client = topology.Container.Run(() => UdpClients.Connect(new IPEndPoint(FieldReportTopology.HostEth0V4, server.LocalEndPoint.Port)));
        string?[] replies = [UdpClients.Exchange(client, "hello"), UdpClients.Exchange(client, "hi")];
        Assert.True(trace.Wait(TimeSpan.FromSeconds(15)), "the trace did not stop after --duration");
        return (trace.Result, output.ToString(), [.. replies!], server.LocalEndPoint.Port);
    }

    /// <summary>A writer that stalls on every flush, like a slow terminal.</summary>
    private sealed class SlowWriter(TimeSpan stall) : StringWriter
    {
        public override void Flush()
        {
            base.Flush();
            Thread.Sleep(stall);
        }
    }
}
