using System.Net;
using System.Net.Sockets;
using Rebound.Cli.Commands;
using Rebound.Lab;
using Rebound.Proxy;
using Rebound.Cli.Tests.Support;
using Rebound.Cli.Lab;

namespace Rebound.Cli.Tests.Proxy;

/// <summary><c>rebound proxy</c>'s settings: the config file, command-line overrides, and clear errors with the documented exit codes.</summary>
public sealed class ProxyCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rebound-proxy-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private FileInfo WriteConfig(string json)
    {
        string path = Path.Combine(_dir, $"proxy{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return new FileInfo(path);
    }

    private static ProxyRequest Request(string[] listen, string[] to, FileInfo? config = null, int? maxFlows = null, int? threads = null) =>
        new(listen, to, config, null, null, maxFlows, null, null, threads);

    [Fact]
    public void Threads_come_from_the_config_file_or_the_command_line_and_0_means_one_per_core()
    {
        FileInfo config = WriteConfig("""{ "listen": ["[::]:6088"], "backends": ["127.0.0.1:16088"], "threads": 3 }""");
        Assert.True(Request([], [], config).TryBuild(out ProxyOptions? options, out string error), error);
        Assert.Equal(3, options!.Threads);
        Assert.True(Request([], [], config, threads: 0).TryBuild(out options, out error), error);
        Assert.Equal(Environment.ProcessorCount, options!.Threads);
        Assert.False(Request([], [], config, threads: -1).TryBuild(out options, out error));
        Assert.Contains("--threads", error, StringComparison.Ordinal);
        Assert.False(Request([], [], config, maxFlows: 2).TryBuild(out _, out error));
        Assert.Contains("at least the number of threads (3)", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-1", "--threads must be 0")]
    [InlineData("5000", "threads must be between 1 and 1024")]
    [InlineData("two", "two")]
    public void Bad_thread_counts_exit_2_with_a_message(string threads, string expected)
    {
        (int code, _, string stderr) = CliProcess.Run("", "proxy", "--listen", "[::]:0", "--to", "127.0.0.1:53", "--threads", threads);
        Assert.Equal(2, code);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_command_with_two_threads_proxies_and_stops_cleanly_with_exit_0_on_SIGTERM() =>
        RunUntilSigterm(["--threads", "2", "--stats", "1"], (proxy, port) =>
        {
            for (int i = 0; i < 8; i++)
            {
                using Socket client = UdpClients.Connect(new IPEndPoint(IPAddress.Parse("127.0.0.2"), port), new IPEndPoint(IPAddress.Loopback, 0));
                Assert.Equal("through", UdpClients.Exchange(client, "through", ProxyTestHelpers.Answer));
            }

            // --stats sums the loops.
            CliProcess.WaitForStderr(proxy, "to clients 8 dgrams");
        });

    [Fact]
    public void A_config_file_supplies_every_setting_and_the_command_line_overrides_it()
    {
        FileInfo config = WriteConfig("""
            {
              // comments and trailing commas are fine
              "listen": ["[::]:6088", "0.0.0.0:6089"],
              "backends": ["127.0.0.1:16088", "[::1]:16089"],
              "idleTimeoutSeconds": 30,
              "oneWayIdleTimeoutSeconds": 600,
              "maxFlows": 1000,
              "maxFlowsPerClient": 10,
              "dualStack": false,
              "drainTimeoutSeconds": 2,
            }
            """);
        Assert.True(Request([], [], config).TryBuild(out ProxyOptions? options, out string error), error);
        Assert.Equal([IPEndPoint.Parse("[::]:6088"), IPEndPoint.Parse("0.0.0.0:6089")], options!.Listen);
        Assert.Equal([IPEndPoint.Parse("127.0.0.1:16088"), IPEndPoint.Parse("[::1]:16089")], options.Backends);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Limits.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(600), options.Limits.OneWayIdleTimeout);
        Assert.Equal(10, options.Limits.MaxFlowsPerClient);
        Assert.False(options.DualStack);
        Assert.Equal(TimeSpan.FromSeconds(2), options.DrainTimeout);

        Assert.True(Request(["[::]:7000"], [], config, maxFlows: 5).TryBuild(out options, out error), error);
        Assert.Equal([IPEndPoint.Parse("[::]:7000")], options!.Listen);
        Assert.Equal(5, options.Limits.MaxFlows);
    }

    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        Assert.True(Request(["6088"], ["16088"]).TryBuild(out ProxyOptions? options, out string error), error);
        Assert.Equal(IPEndPoint.Parse("[::]:6088"), options!.Listen[0]);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:16088"), options.Backends[0]);
        Assert.Equal(TimeSpan.FromSeconds(60), options.Limits.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(300), options.Limits.OneWayIdleTimeout);
        Assert.Equal(65_536, options.Limits.MaxFlows);
        Assert.Equal(256, options.Limits.MaxFlowsPerClient);
        Assert.True(options.DualStack);
        Assert.Equal(1, options.Threads);
    }

    [Theory]
    [InlineData("{\"listen\": [\"[::]:1\"], \"backends\": [\"127.0.0.1:2\"], \"maxFlow\": 3}", "maxFlow")]
    [InlineData("{\"listen\": [\"[::]:1\"], \"backends\": [\"127.0.0.1:2\"], \"maxFlows\": 0}", "max flows must be at least 1")]
    [InlineData("{\"listen\": [\"[::]:1\"], \"backends\": [\"0.0.0.0:2\"]}", "wildcard")]
    [InlineData("{\"listen\": [\"[::]:1\"], \"backends\": [\"127.0.0.1:1\"]}", "loop")]
    [InlineData("{\"listen\": [\"[::]:1\"], \"backends\": [\"example.org:53\"]}", "not an IP address")]
    [InlineData("{\"listen\": [\"[::]:1\"]}", "--to")]
    [InlineData("[1, 2]", "not valid proxy settings")]
    [InlineData("{\"listen\": [\"[::]:1\"], \"backends\": [\"127.0.0.1:2\"], \"idleTimeoutSeconds\": -1}", "timeouts")]
    public void Bad_settings_are_refused_with_a_reason(string json, string expected)
    {
        Assert.False(Request([], [], WriteConfig(json)).TryBuild(out ProxyOptions? options, out string error));
        Assert.Null(options);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_command_exits_2_for_bad_addresses_and_3_for_a_port_in_use()
    {
        (int code, _, string stderr) = CliProcess.Run("", "proxy", "--listen", "[::]:99999", "--to", "127.0.0.1:53");
        Assert.Equal(2, code);
        Assert.Contains("--listen", stderr, StringComparison.Ordinal);

        (code, _, stderr) = CliProcess.Run("", "proxy", "--listen", "[::]:0", "--to", "[::]:53");
        Assert.Equal(2, code);
        Assert.Contains("wildcard", stderr, StringComparison.Ordinal);

        (code, _, stderr) = CliProcess.Run("", "proxy", "--config", Path.Combine(_dir, "missing.json"));
        Assert.Equal(2, code);
        Assert.Contains("missing.json", stderr, StringComparison.Ordinal);

        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        taken.Bind(new IPEndPoint(IPAddress.Any, 0));
        int port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        (code, _, stderr) = CliProcess.Run("", "proxy", "--listen", $"0.0.0.0:{port}", "--to", "127.0.0.1:53");
        Assert.Equal(3, code);
        Assert.Contains("already uses that port", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_command_proxies_logs_refusals_and_stops_cleanly_with_exit_0_on_SIGTERM() =>
        RunUntilSigterm(["--stats", "1", "--max-flows", "1"], (proxy, port) =>
        {
            using Socket client = UdpClients.Connect(new IPEndPoint(IPAddress.Parse("127.0.0.2"), port), new IPEndPoint(IPAddress.Loopback, 0));
            Assert.Equal("through", UdpClients.Exchange(client, "through", ProxyTestHelpers.Answer));
            using Socket second = UdpClients.Connect(new IPEndPoint(IPAddress.Parse("127.0.0.2"), port), new IPEndPoint(IPAddress.Loopback, 0));
            Assert.Null(UdpClients.Exchange(second, "refused", 200));
            CliProcess.WaitForStderr(proxy, "Refused 1 new flow(s) in the last second: the proxy holds its maximum of 1 flows");
            CliProcess.WaitForStderr(proxy, "to clients 1 dgrams");
        });

    /// <summary>
    /// Runs <c>rebound proxy --listen [::]:PORT --to (a naive server)</c> plus <paramref name="options"/>, lets
    /// <paramref name="exercise"/> use it, then sends SIGTERM and asserts a clean exit 0.
    /// </summary>
    private static void RunUntilSigterm(string[] options, Action<System.Diagnostics.Process, int> exercise)
    {
        using LabServer backend = LabServer.Start(ServerKind.Naive, new IPEndPoint(IPAddress.Any, 0));
        using var probe = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
        probe.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        int port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        probe.Dispose();

        using System.Diagnostics.Process proxy = CliProcess.Start(
            ["proxy", "--listen", $"[::]:{port}", "--to", $"127.0.0.1:{backend.LocalEndPoint.Port}", .. options]);
        try
        {
            CliProcess.WaitForStderr(proxy, "Proxying");
            exercise(proxy, port);
        }
        finally
        {
            _ = Signal(proxy.Id, 15);
        }

        Assert.True(proxy.WaitForExit(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, proxy.ExitCode);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Signal(int pid, int signal);
}
