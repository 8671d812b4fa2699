using System.Globalization;
using Rebound.Capture.Analysis;
using Spectre.Console;

namespace Rebound.Cli.Analysis;

/// <summary>Findings and summaries for people: a line per finding as it happens, a table at the end (Spectre.Console).</summary>
internal static class HumanReport
{
    /// <summary>
    /// A console that writes to <paramref name="output"/>: colours only on a terminal; <c>COLUMNS</c> sets the width; files
    /// and pipes get one finding line per line, never wrapped at 80 columns (<see cref="Infrastructure.TableOutput"/>).
    /// </summary>
    public static IAnsiConsole ConsoleFor(TextWriter output)
    {
        bool terminal = output == Console.Out && !Console.IsOutputRedirected;
        return Infrastructure.TableOutput.Create(output, terminal, Environment.GetEnvironmentVariable("COLUMNS")).Console;
    }

    /// <summary>One line for a live event.</summary>
    public static void WriteEvent(IAnsiConsole console, FindingEvent change)
    {
        ArgumentNullException.ThrowIfNull(console);
        Finding f = change.Finding;
        if (change.Kind == FindingEventKind.NewFinding)
        {
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[red]✗[/] {Time(f.FirstBadReply)} frame {f.FirstBadReply.Frame}: {Markup.Escape(f.Describe())}"));
        }
        else
        {
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[red]✗[/] {Time(f.FirstRejection!.Value)} frame {f.FirstRejection.Value.Frame}: {Markup.Escape($"{f.Client} rejected the reply from {f.ReplySource} (ICMP port unreachable): rejected by the client")}"));
        }
    }

    /// <summary>The findings table (if any) and the summary.</summary>
    public static void WriteReport(IAnsiConsole console, string source, string format, FlowAnalyzer analyzer)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(analyzer);
        foreach (Finding f in analyzer.Findings)
        {
            console.MarkupLine($"[red]✗[/] [bold]{Markup.Escape($"{f.Client} → {f.Server}")}[/]: {Markup.Escape(Problem(f))}");
            console.WriteLine(Line("request", f.FirstRequest, string.Create(CultureInfo.InvariantCulture, $"{f.Requests} request(s) in the flow")));
            console.WriteLine(Line("wrong reply", f.FirstBadReply, string.Create(CultureInfo.InvariantCulture, $"from {f.ReplySource}; {f.BadReplies} wrong, {f.GoodReplies} from the server")));
            console.WriteLine(f.FirstRejection is FrameMark r
                ? Line("rejected", r, string.Create(CultureInfo.InvariantCulture, $"by the client: ICMP port unreachable ×{f.Rejections}"))
                : "    rejected      not seen (no ICMP port unreachable captured; it may be rate-limited or filtered)");
            console.WriteLine();
        }

        AnalysisSummary s = analyzer.Summary;
        int rejected = analyzer.Findings.Count(f => f.RejectedByClient);
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("Source", Markup.Escape(source));
        grid.AddRow("Format", Markup.Escape(format));
        grid.AddRow("Packets", string.Create(CultureInfo.InvariantCulture,
            $"{s.Packets} ({s.UdpDatagrams} UDP, {s.PortUnreachables} ICMP port unreachable, {s.Duplicates} duplicate copies ignored)"));
        if (s.FirstTimestampNanoseconds is long first && s.LastTimestampNanoseconds is long last)
        {
            grid.AddRow("Time span", Markup.Escape($"{CaptureTime.Format(first)} … {CaptureTime.Format(last)}"));
        }

        string evicted = s.FlowsEvicted > 0 ? string.Create(CultureInfo.InvariantCulture, $" ({s.FlowsEvicted} evicted early to bound memory)") : "";
        grid.AddRow("UDP flows", s.Flows.ToString(CultureInfo.InvariantCulture) + evicted);
        grid.AddRow("Findings", analyzer.Findings.Count == 0
            ? "[green]none: every reply came from the endpoint its request went to[/]"
            : string.Create(CultureInfo.InvariantCulture, $"[red]{analyzer.Findings.Count} flow(s) with wrong-source replies, {rejected} rejected by the client[/]")
              + (s.UnlistedBadReplies > 0 ? string.Create(CultureInfo.InvariantCulture, $" (+{s.UnlistedBadReplies} wrong replies in unlisted flows)") : ""));
        console.Write(grid);
    }

    private static string Problem(Finding f) => f.Kind == FindingKind.UnexpectedSource
        ? $"reply from unexpected source {f.ReplySource.Address}" + (f.RejectedByClient ? ", rejected by the client" : "")
        : $"reply from unexpected port {f.ReplySource.Port} (SNAT remapped it)" + (f.RejectedByClient ? ", rejected by the client" : "");

    private static string Line(string what, FrameMark mark, string detail) =>
        string.Create(CultureInfo.InvariantCulture, $"    {what,-12}  frame {mark.Frame,-6} {Time(mark)}  {detail}");

    private static string Time(FrameMark mark) => CaptureTime.Format(mark.TimestampNanoseconds);
}
