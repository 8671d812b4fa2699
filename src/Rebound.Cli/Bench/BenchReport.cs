using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace Rebound.Cli.Bench;

/// <summary>Shows a <see cref="LoadResult"/>: a table for people, or one JSON object for scripts (<c>--json</c>).</summary>
internal static class BenchReport
{
    private static readonly double[] Percentiles = [50, 99, 99.9];

    public static void WriteTable(LoadResult result, IAnsiConsole console)
    {
        LoadSettings s = result.Settings;
        LoadTally t = result.Tally;
        var table = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumn("what").AddColumn("value");
        table.Title = new TableTitle($"rebound bench → {Markup.Escape(s.Target.ToString())}");
        table.AddRow("load", $"{s.Sockets} sockets × {s.InFlight} in flight, {s.PayloadSize}-byte datagrams" +
            (s.Source is null ? "" : $", from {Markup.Escape(s.Source.ToString())}"));
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

        console.Write(table);
    }

    public static void WriteJson(LoadResult result, Stream output)
    {
        LoadSettings s = result.Settings;
        LoadTally t = result.Tally;
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = false });
        json.WriteStartObject();
        json.WriteString("target", s.Target.ToString());
        json.WriteString("source", s.Source?.ToString());
        json.WriteNumber("sockets", s.Sockets);
        json.WriteNumber("in_flight", s.InFlight);
        json.WriteNumber("payload_bytes", s.PayloadSize);
        json.WriteNumber("window_seconds", Math.Round(result.Window.TotalSeconds, 4));
        json.WriteNumber("sent", t.Sent);
        json.WriteNumber("replies", t.Replies);
        json.WriteNumber("replies_in_window", result.RepliesInWindow);
        json.WriteNumber("replies_per_second", Math.Round(result.RepliesPerSecond));
        json.WriteNumber("lost", t.Lost);
        json.WriteNumber("loss_ratio", Math.Round(result.LossRatio, 6));
        json.WriteNumber("unexpected", t.Unexpected);
        json.WriteNumber("refused", t.Refused);
        json.WriteStartObject("latency_us");
        foreach (double p in Percentiles)
        {
            json.WriteNumber("p" + p.ToString(CultureInfo.InvariantCulture), Math.Round(t.Latency.ValueAtPercentile(p) / 1000.0, 3));
        }

        json.WriteNumber("max", Math.Round(t.Latency.Max / 1000.0, 3));
        json.WriteNumber("mean", Math.Round(t.Latency.Mean / 1000.0, 3));
        json.WriteEndObject();
        if (s.ServerProcessId is int pid)
        {
            json.WriteNumber("server_pid", pid);
            if (result.ServerMicrosecondsPerReply is double us)
            {
                json.WriteNumber("server_cpu_us_per_reply", Math.Round(us, 4));
            }
            else
            {
                json.WriteNull("server_cpu_us_per_reply");
            }
        }

        json.WriteEndObject();
        json.Flush();
        output.WriteByte((byte)'\n');
    }

    private static string Micro(long nanoseconds) => (nanoseconds / 1000.0).ToString("0.0", CultureInfo.InvariantCulture);
}
