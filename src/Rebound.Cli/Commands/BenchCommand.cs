using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Rebound.Cli.Bench;
using Rebound.Cli.Infrastructure;
using Spectre.Console;

namespace Rebound.Cli.Commands;

/// <summary>
/// <c>rebound bench</c>: a closed-loop UDP load generator that measures an echo server's replies/s, loss, latency and
/// (given its pid) CPU per reply, so anyone can reproduce the project's numbers; plus the hidden <c>bench serve</c>
/// that runs the .NET servers being compared.
/// </summary>
internal static class BenchCommand
{
    /// <summary>Send plus receive buffers the clients may allocate (every slot holds one datagram each way).</summary>
    private const long MaxBufferBytes = 256L << 20;

    public static Command Create()
    {
        var target = new Argument<string>("TARGET") { HelpName = "ADDR:PORT", Description = "The echo server, ADDR:PORT (e.g. 127.0.0.1:56789 or [::1]:56789)." };
        var sockets = new Option<int>("--sockets") { Description = "Connected client sockets (1-64).", DefaultValueFactory = _ => 4 };
        var inFlight = new Option<int>("--in-flight") { Description = "Datagrams each socket keeps outstanding (1-1024).", DefaultValueFactory = _ => 64 };
        var size = new Option<int>("--size") { Description = "Payload bytes per datagram (16-65507).", DefaultValueFactory = _ => 64 };
        var duration = new Option<double>("--duration", "-d") { HelpName = "SECONDS", Description = "Seconds to measure (after the warm-up).", DefaultValueFactory = _ => 3 };
        var count = new Option<long>("--count", "-c") { Description = "Stop after this many datagrams (0: no limit; --duration still caps the run)." };
        var warmup = new Option<double>("--warmup") { HelpName = "SECONDS", Description = "Seconds of load before measuring, not counted.", DefaultValueFactory = _ => 0.5 };
        var timeout = new Option<double>("--loss-timeout") { HelpName = "SECONDS", Description = "Seconds after which an unanswered datagram counts as lost.", DefaultValueFactory = _ => 0.2 };
        var cpu = new Option<int?>("--cpu") { Description = "Pin the load thread to this CPU (pin the server elsewhere, e.g. taskset -c 0)." };
        var serverPid = new Option<int?>("--server-pid") { Description = "Report this process's CPU µs (user+sys, /proc/PID/stat) per reply." };
        var source = new Option<string?>("--source", "-s") { HelpName = "ADDR", Description = "Bind the client sockets to this address: a reply from any other source is then lost, as a real client would." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of the table." };
        var ipv4 = SharedOptions.IPv4("a bare PORT means 127.0.0.1:PORT, and TARGET (and --source) must be IPv4");
        var ipv6 = SharedOptions.IPv6("a bare PORT means [::1]:PORT, and TARGET (and --source) must be IPv6");

        var command = new Command("bench", "Drive a UDP echo server with closed-loop load; report replies/s, loss, latency and server CPU per reply.")
        {
            target, sockets, inFlight, size, duration, count, warmup, timeout, cpu, serverPid, source, ipv4, ipv6, json, CreateServe(),
        }.WithEpilogue(
            "Examples:\n" +
            "  taskset -c 0 rebound echo -l 0.0.0.0:56789 & rebound bench 127.0.0.1:56789 --cpu 1 --server-pid $!\n" +
            "  rebound bench 127.0.0.2:56789 --source 127.0.0.1     # a wrong-source server shows up as ~100 % loss\n" +
            "  rebound bench 127.0.0.1:56789 -d 10 --json\n" +
            "The load runs on one thread that must stay cheaper than the server: keep them on different CPUs.\n\n" + ExitCodes.Help);

        command.SetAction(async (parse, cancellation) =>
        {
            if (!SharedOptions.TryFamily(parse, ipv4, ipv6, out AddressFamily? family, out string error)
                || !TryReadSettings(parse, family, out LoadSettings? settings, out error,
                    (target, sockets, inFlight, size, duration, count, warmup, timeout, cpu, serverPid, source)))
            {
                await Console.Error.WriteLineAsync($"rebound bench: {error}").ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            LoadResult result;
            try
            {
                result = await LoadGenerator.RunAsync(settings!, cancellation).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                return settings!.Source is not null && e.SocketErrorCode == SocketError.AddressNotAvailable
                    ? SocketErrors.Report(e, "bind the client sockets to", new IPEndPoint(settings.Source, 0))
                    : SocketErrors.Report(e, "send to", settings.Target);
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync($"rebound bench: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            if (parse.GetValue(json))
            {
                using Stream stdout = Console.OpenStandardOutput();
                BenchReport.WriteJson(result, stdout);
            }
            else
            {
                BenchReport.WriteTable(result, TableOutput.ForStandardOutput());
            }

            if (result.Tally.Replies == 0)
            {
                string why = result.Tally.Refused > 0
                    ? "the target answered ICMP port unreachable: nothing listens there"
                    : "no reply came back: the server is down, filtered, or replied from a source address the clients do not accept";
                await Console.Error.WriteLineAsync($"rebound bench: {why}.").ConfigureAwait(false);
                return ExitCodes.Finding;
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static bool TryReadSettings(
        ParseResult parse,
        AddressFamily? family,
        out LoadSettings? settings,
        out string error,
        (Argument<string> Target, Option<int> Sockets, Option<int> InFlight, Option<int> Size, Option<double> Duration, Option<long> Count,
            Option<double> Warmup, Option<double> Timeout, Option<int?> Cpu, Option<int?> ServerPid, Option<string?> Source) o)
    {
        settings = null;
        IPAddress loopback = family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback;
        if (!EndpointParser.TryParse(parse.GetValue(o.Target)!, loopback, out IPEndPoint target, out error)
            || !SharedOptions.FamilyMatches(target.Address, family, "TARGET", out error))
        {
            error = error.StartsWith("TARGET", StringComparison.Ordinal) ? error : $"TARGET: {error}";
            return false;
        }

        IPAddress? source = null;
        string? sourceText = parse.GetValue(o.Source);
        int? pid = parse.GetValue(o.ServerPid);
        (int socketCount, int inFlight, int size) = (parse.GetValue(o.Sockets), parse.GetValue(o.InFlight), parse.GetValue(o.Size));
        (double duration, double warmup, double timeout) = (parse.GetValue(o.Duration), parse.GetValue(o.Warmup), parse.GetValue(o.Timeout));
        error =
            target.Port == 0 ? "TARGET: give the server's port, e.g. 127.0.0.1:56789." :
            socketCount is < 1 or > 64 ? "--sockets must be 1-64." :
            inFlight is < 1 or > 1024 ? "--in-flight must be 1-1024." :
            size is < 16 or > 65507 ? "--size must be 16-65507 bytes (the first 16 carry the slot and sequence number)." :
            (long)socketCount * inFlight * size > MaxBufferBytes / 2 ?
                $"--sockets × --in-flight × --size needs {2L * socketCount * inFlight * size / (1 << 20)} MiB of buffers; keep it under {MaxBufferBytes / (1 << 20)} MiB." :
            !(duration > 0 && duration <= 3600) ? "--duration must be more than 0 and at most 3600 seconds." :
            parse.GetValue(o.Count) < 0 ? "--count must be 0 or more." :
            !(warmup >= 0 && warmup <= 600) ? "--warmup must be 0-600 seconds." :
            !(timeout > 0 && timeout <= 60) ? "--loss-timeout must be more than 0 and at most 60 seconds." :
            parse.GetValue(o.Cpu) is < 0 ? "--cpu must be a CPU number (0, 1, …)." :
            pid is int p && ProcessCpuTime.Read(p) is null ? $"--server-pid {p}: no such process (or /proc/{p}/stat is unreadable)." :
            sourceText is not null && !EndpointParser.TryParseAddress(sourceText, out source) ? $"--source: '{sourceText}' is not an IP address." :
            source is not null && source.AddressFamily != target.AddressFamily ? $"--source {source} and TARGET {target} are different address families." :
            "";
        if (error.Length > 0)
        {
            return false;
        }

        settings = new LoadSettings(
            target, source, socketCount, inFlight, size, TimeSpan.FromSeconds(duration), parse.GetValue(o.Count),
            TimeSpan.FromSeconds(warmup), TimeSpan.FromSeconds(timeout), parse.GetValue(o.Cpu), pid);
        return true;
    }

    /// <summary>The hidden <c>bench serve</c>: one of the .NET echo servers the benchmark compares.</summary>
    private static Command CreateServe()
    {
        var implementation = new Option<string>("--impl") { Description = "Which server: " + string.Join(", ", BenchServers.Names) + ".", Required = true };
        implementation.AcceptOnlyFromAmong(BenchServers.Names);
        var listen = new Option<string>("--listen", "-l") { Description = "Address and port to bind.", DefaultValueFactory = _ => "0.0.0.0:56790" };
        var command = new Command("serve", "Run one of the .NET echo servers the benchmark compares (run it under taskset).")
        {
            implementation, listen,
        };
        command.Hidden = true;
        command.SetAction(async (parse, cancellation) =>
        {
            if (!EndpointParser.TryParse(parse.GetValue(listen)!, IPAddress.Any, out IPEndPoint endPoint, out string error))
            {
                await Console.Error.WriteLineAsync($"rebound bench serve: --listen: {error}").ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            string name = parse.GetValue(implementation)!;
            try
            {
                Task server = BenchServers.RunAsync(name, endPoint, cancellation);
                await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"rebound bench serve: {name} on {endPoint}, pid {Environment.ProcessId}")).ConfigureAwait(false);
                await server.ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                return SocketErrors.Report(e, "listen on", endPoint);
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
