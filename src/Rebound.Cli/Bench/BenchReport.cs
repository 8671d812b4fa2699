using System.Globalization;
using Rebound.Cli.Output;
using Spectre.Console;

namespace Rebound.Cli.Bench;

/// <summary>Shows a <see cref="LoadResult"/>: a table for people, or one JSON object for scripts (<c>--json</c>).</summary>
internal static class BenchReport
{
    private static readonly double[] Percentiles = [50, 99, 99.9];

    public static void WriteTable(LoadResult result, Rebound.Cli.Infrastructure.TableOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        LoadSettings s = result.Settings;
        LoadTally t = result.Tally;
        var table = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumn("what").AddColumn("value");
        table.Title = new TableTitle($"rebound bench → {Markup.Escape(EndpointText.Format(s.Target))}");
        table.AddRow("load", $"{s.Sockets} sockets × {s.InFlight} in flight, {s.PayloadSize}-byte datagrams" +
            (s.Source is null ? "" : $", from {Markup.Escape(EndpointText.Address(s.Source))}"));
        table.AddRow("window", $"{result.Window.TotalSeconds:0.00} s after {s.Warmup.TotalSeconds:0.##} s warm-up");
        table.AddRow("replies/s", $"[bold]{result.RepliesPerSecond:N0}[/]");
        table.AddRow("sent / replies", $"{t.Sent:N0} / {t.Replies:N0}");
        string loss = $"{t.Lost:N0} ({result.LossRatio * 100:0.###} %)";
        table.AddRow("lost", result.LossRatio > 0.01 ? $"[red]{loss}[/]" : loss);
        if (t.Unexpected > 0 || t.Refused > 0)
        {
            table.AddRow("late or unexpected / refused", $"{t.Unexpected:N0} / {t.Refused:N0} (ICMP port unreachable)");
        }

        table.AddRow("latency p50 / p99 / p99.9", string.Join(" / ", Percentiles.Select(p => Micro(t.Latency.ValueAtPercentile(p)))) + " µs");
        table.AddRow("latency max", Micro(t.Latency.Max) + " µs");
        if (s.ServerProcessId is int pid)
        {
            table.AddRow($"server CPU (pid {pid})", result.ServerMicrosecondsPerReply is double us
                ? $"[bold]{us:0.000} µs[/] per reply ({result.ServerCpu!.Value.TotalMilliseconds:0} ms user+sys)"
                : "[yellow]not measured (no reply, or /proc/PID/stat unreadable)[/]");
        }

        output.Write(table);
    }

    public static void WriteJson(LoadResult result, Stream output)
    {
        ArgumentNullException.ThrowIfNull(result);
        LoadSettings s = result.Settings;
        LoadTally t = result.Tally;
        double Us(double nanoseconds) => Math.Round(nanoseconds / 1000.0, 3);
        JsonOutput.WriteLine(output, new BenchDocument(
            JsonOutput.SchemaVersion,
            EndpointText.Format(s.Target),
            s.Source is null ? null : EndpointText.Address(s.Source),
            s.Sockets,
            s.InFlight,
            s.PayloadSize,
            Math.Round(result.Window.TotalSeconds, 4),
            t.Sent,
            t.Replies,
            result.RepliesInWindow,
            Math.Round(result.RepliesPerSecond),
            t.Lost,
            Math.Round(result.LossRatio, 6),
            t.Unexpected,
            t.Refused,
            new BenchLatencyJson(
                Us(t.Latency.ValueAtPercentile(50)), Us(t.Latency.ValueAtPercentile(99)), Us(t.Latency.ValueAtPercentile(99.9)),
                Us(t.Latency.Max), Us(t.Latency.Mean)),
            s.ServerProcessId,
            result.ServerMicrosecondsPerReply is double us ? Math.Round(us, 4) : null));
    }

    private static string Micro(long nanoseconds) => (nanoseconds / 1000.0).ToString("0.0", CultureInfo.InvariantCulture);
}

/// <summary><c>rebound bench --json</c> (docs/output.md): the load, the counts, latency in µs and the server's CPU cost.</summary>
internal sealed record BenchDocument(
    int SchemaVersion,
    string Server,
    string? ClientAddress,
    int Sockets,
    int InFlight,
    int PayloadBytes,
    double WindowSeconds,
    long Sent,
    long Replies,
    long RepliesInWindow,
    double RepliesPerSecond,
    long Lost,
    double LossRatio,
    long Unexpected,
    long Refused,
    BenchLatencyJson LatencyMicroseconds,
    int? ServerPid,
    double? ServerCpuMicrosecondsPerReply);

/// <summary>Round-trip latency percentiles, in microseconds.</summary>
internal sealed record BenchLatencyJson(double P50, double P99, double P999, double Max, double Mean);
