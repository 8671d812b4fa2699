using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using Rebound.Cli.Infrastructure;
using Rebound.Cli.Output;
using Rebound.Proxy;

namespace Rebound.Cli.Commands;

/// <summary>
/// <c>rebound proxy</c>: puts a <see cref="UdpProxy"/> in front of a UDP service that cannot be changed, so its replies
/// leave from the address each client targeted.
/// </summary>
internal static class ProxyCommand
{
    public static Command Create()
    {
        var listen = new Option<string[]>("--listen", "-l") { HelpName = "ADDR:PORT", Description = "Front address to listen on, e.g. [::]:6088 (dual-stack) or 0.0.0.0:6088. Repeatable."};
        var to = new Option<string[]>("--to") { HelpName = "ADDR:PORT", Description = "Backend to forward to, e.g. 127.0.0.1:16088. Repeatable: each client address sticks to one backend." };
        var config = new Option<FileInfo?>("--config") { Description = "JSON settings file (see docs/proxy.md); command-line options override it." };
        var idle = new Option<double?>("--idle-timeout") { HelpName = "SECONDS", Description = $"Seconds a flow the backend answered may stay idle (default {FlowLimits.DefaultIdleTimeout.TotalSeconds})." };
        var oneWay = new Option<double?>("--one-way-timeout") { HelpName = "SECONDS", Description = $"Seconds a flow the backend never answered may stay idle (default {FlowLimits.DefaultOneWayIdleTimeout.TotalSeconds})." };
        var maxFlows = new Option<int?>("--max-flows") { Description = $"Most flows at once (default {FlowLimits.DefaultMaxFlows}); new flows beyond it are refused." };
        var perClient = new Option<int?>("--max-flows-per-client") { Description = $"Most flows from one client IP address, in each thread (default {FlowLimits.DefaultMaxFlowsPerClient})." };
        var clientPrefix = new Option<int?>("--client-prefix-v6")
        {
            Description = "IPv6 prefix length that counts as one client for --max-flows-per-client, e.g. 64: a host may use any address of its /64 (default 128: each address).",
        };
        var join = new Option<string[]>("--join")
        {
            Description = "Join a multicast group on the wildcard fronts, GROUP or GROUP%INTERFACE (233.252.0.1%eth0, ff12::db8:1%eth0); repeatable. A datagram to it opens one flow.",
        };
        var threads = new Option<int?>("--threads") { Description = "Event-loop threads, each with its own sockets sharing the port (SO_REUSEPORT); 0: one per core (default 1)." };
        var ipv6Only = SharedOptions.IPv6("on [::], serve IPv6 only (V6ONLY=1)", "--ipv6-only");
        var stats = new Option<double>("--stats") { HelpName = "SECONDS", Description = "Print the counters every this many seconds (0: never), in seconds: a line on stderr, or with --json a JSON line on stdout." }.NotNegative().OffOrPeriod();
        var json = new Option<bool>("--json") { Description = "Write --stats as JSON lines on stdout, and one summary line when the proxy stops (docs/output.md)." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log every flow opened." };
        var metricsListen = new Option<string?>("--metrics-listen") { HelpName = "ADDR:PORT", Description = "Serve metrics as Prometheus text on http://ADDR:PORT/metrics, e.g. 127.0.0.1:9464. OTLP export follows the OTEL_EXPORTER_OTLP_* variables." };
        Option<LogFormat> logFormat = DaemonLogging.CreateOption();

        var command = new Command("proxy", "Front a UDP service you cannot change so its replies leave from the address each client targeted.")
        {
            listen, to, config, idle, oneWay, maxFlows, perClient, clientPrefix, join, threads, ipv6Only, stats, json, verbose, metricsListen, logFormat,
        }.WithEpilogue(
            "Examples:\n  rebound proxy --listen [::]:6088 --to 127.0.0.1:16088\n" +
            "  rebound proxy -l [::]:53 --to 127.0.0.1:5301 --to 127.0.0.1:5302 --stats 10\n" +
            "  rebound proxy -l [::]:53 --to 127.0.0.1:5301 --threads 0\n" +
            "  rebound proxy -l [::]:53 --to 127.0.0.1:5301 --stats 10 --json | jq .datagramsToClient\n" +
            "  rebound proxy -l [::]:53 --to 127.0.0.1:5301 --metrics-listen 127.0.0.1:9464 --log-format json\n" +
            "  rebound proxy --config /etc/rebound/proxy.json\n\n" +
            "Forwards only to the configured backends, never to an address taken from a packet: not an open relay.\n\n" + ExitCodes.Help);

        command.SetAction(async (parse, cancellation) =>
        {
            var request = new ProxyRequest(
                parse.GetValue(listen) ?? [], parse.GetValue(to) ?? [], parse.GetValue(config), parse.GetValue(idle), parse.GetValue(oneWay),
                parse.GetValue(maxFlows), parse.GetValue(perClient), parse.GetValue(ipv6Only) ? false : null, parse.GetValue(threads),
                parse.GetValue(metricsListen), parse.GetValue(join), parse.GetValue(clientPrefix));
            if (!request.TryBuild(out ProxyOptions? options, out IPEndPoint? metricsAt, out string error))
            {
                Console.Error.WriteLine($"rebound proxy: {error}");
                return ExitCodes.Usage;
            }

            return await RunAsync(options!, metricsAt, new StatsSettings(parse.GetValue(stats), parse.GetValue(json)), parse.GetValue(verbose), parse.GetValue(logFormat), cancellation).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(ProxyOptions options, IPEndPoint? metricsAt, StatsSettings stats, bool verbose, LogFormat logFormat, CancellationToken cancellation)
    {
        using ILoggerFactory logging = DaemonLogging.Create(logFormat, verbose ? LogLevel.Debug : LogLevel.Information);
        ILogger logger = logging.CreateLogger("rebound.proxy");

        MeterProvider? metrics;
        try
        {
            metrics = MetricsExport.Start(metricsAt);
        }
        catch (InvalidOperationException e) when (e.InnerException is HttpListenerException listen)
        {
            // The exporter wraps the listener's failure (EADDRINUSE 98, EACCES 13, EADDRNOTAVAIL 99).
            Console.Error.WriteLine($"rebound proxy: cannot serve metrics on {metricsAt}: {listen.Message}");
            return listen.ErrorCode == 13 ? ExitCodes.Permission : ExitCodes.Network;
        }

        using MeterProvider? exporting = metrics;
        if (metricsAt is not null)
        {
            MetricsExport.LogServing(logger, MetricsExport.Url(metricsAt));
        }

        // Stop gracefully on SIGTERM (systemd, docker stop) as on Ctrl-C: drain, close, exit 0.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using PosixSignalRegistration onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Graceful);
        using PosixSignalRegistration onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Graceful);
        void Graceful(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        await using var proxy = new UdpProxy(options, logger);
        try
        {
            proxy.Start();
        }
        catch (SocketException e)
        {
            return SocketErrors.Report(e, "listen on", proxy.FailedListen);
        }

        using var statsTimer = stats.Seconds > 0 ? new PeriodicTimer(TimeSpan.FromSeconds(stats.Seconds)) : null;
        Task statsLoop = statsTimer is null ? Task.CompletedTask : PrintStatsAsync(proxy, statsTimer, stats.Json);
        try
        {
            await Task.WhenAny(proxy.Completion, Task.Delay(Timeout.Infinite, stop.Token)).ConfigureAwait(false);
            await proxy.StopAsync().ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"rebound proxy: {e.Message}");
            return ExitCodes.Network;
        }
        finally
        {
            statsTimer?.Dispose();
            await statsLoop.ConfigureAwait(false);
        }

        ProxyStatsLog.Write(stats.Json, proxy.Statistics, final: true);
        return ExitCodes.Success;
    }

    private static async Task PrintStatsAsync(UdpProxy proxy, PeriodicTimer timer, bool json)
    {
        while (await timer.WaitForNextTickAsync().ConfigureAwait(false))
        {
            ProxyStatsLog.Write(json, proxy.Statistics, final: false);
        }
    }

    /// <summary><c>--stats SECONDS</c> (0: none) and <c>--json</c>.</summary>
    private readonly record struct StatsSettings(double Seconds, bool Json);
}
