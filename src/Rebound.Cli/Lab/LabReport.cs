using System.Globalization;
using Rebound.Lab;
using Rebound.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Rebound.Cli.Lab;

/// <summary>Shows a lab run to people: a summary table (one row per scenario) and, on request, each row's trace.</summary>
internal static class LabReport
{
    /// <summary>Below this width the reasons leave the table for numbered lines under it, so rows stay one or two lines high.</summary>
    private const int WideTable = 120;

    public static void Write(TableOutput output, LabRunResult run, bool verbose)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(run);
        IAnsiConsole console = output.Console;
        bool compact = !output.Plain && output.Width < WideTable;
        var table = new Table().Border(TableBorder.Rounded).Title("rebound lab: the field report, reproduced");
        table.AddColumn(new TableColumn("#").NoWrap());
        table.AddColumn("Scenario");
        table.AddColumn(new TableColumn("Verdict").NoWrap());
        table.AddColumn(new TableColumn("Reply from").NoWrap());
        table.AddColumn(new TableColumn("ICMP").NoWrap());
        if (!compact)
        {
            table.AddColumn("Why");
        }

        foreach (RowResult row in run.Rows)
        {
            var cells = new List<IRenderable>
            {
                new Text(row.Scenario.Id),
                new Text(row.Scenario.Title),
                new Markup(compact ? ShortVerdictMarkup(row.Verdict, row.Scenario.Expected) : VerdictMarkup(row)),
                new Text(LabEvidence.Show(row.ReplySource)),
                new Text(row.Verdict is Verdict.Skipped or Verdict.Error ? "" : row.IcmpSeen ? "yes" : "no"),
            };
            if (!compact)
            {
                cells.Add(new Text(row.Why));
            }

            table.AddRow(cells);
        }

        output.Write(table);
        if (compact)
        {
            console.MarkupLine("[grey]✓ as expected. Why:[/]");
            foreach (RowResult row in run.Rows)
            {
                console.Write(new Grid().AddColumn(new GridColumn().NoWrap().Width(4)).AddColumn().AddRow(new Text(row.Scenario.Id), new Text(row.Why)));
            }
        }

        if (verbose)
        {
            foreach (RowResult row in run.Rows)
            {
                WriteTrace(console, row);
            }
        }

        int mismatches = run.Rows.Count(r => !r.MatchesExpectation);
        int skipped = run.Rows.Count(r => r.Verdict == Verdict.Skipped);
        string seconds = run.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
        console.MarkupLine(mismatches == 0
            ? $"[green]Every row behaved as expected[/] ({run.Rows.Count} rows{(skipped > 0 ? $", {skipped} skipped" : "")}, {seconds} s)."
            : $"[red]{mismatches} row(s) did not behave as expected[/] ({run.Rows.Count} rows, {seconds} s).");
        if (!verbose)
        {
            console.MarkupLine("[grey]--verbose shows each row's packets; --json writes the results for machines.[/]");
        }
    }

    /// <summary>The row's evidence: the client's messages, the commands run, and every captured packet, tcpdump-style.</summary>
    public static void WriteTrace(IAnsiConsole console, RowResult row)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(row);
        console.Write(new Rule(Markup.Escape($"{row.Scenario.Id}. {row.Scenario.Title}")).LeftJustified());
        LabObservation? o = row.Observation;
        if (o is null)
        {
            console.WriteLine(row.Why);
            return;
        }

        foreach (string command in o.Commands)
        {
            console.WriteLine(command);
        }

        foreach (ClientMessage m in o.Messages)
        {
            string outcome = m.Reply is null ? "no reply" : m.Answered ? $"reply \"{m.Reply}\"" : $"unexpected reply \"{m.Reply}\"";
            console.WriteLine($"client {LabEvidence.Show(o.Client)} > {LabEvidence.Show(o.Target)} ({o.Transport}): \"{m.Sent}\" -> {outcome}");
        }

        console.WriteLine(o.Packets.Count == 0 ? "captured: nothing" : $"captured ({o.Packets.Count} packets):");
        foreach (CapturedPacket packet in o.Packets)
        {
            console.WriteLine("  " + packet.Line);
        }

        if (o.Flows is not null)
        {
            console.WriteLine(o.Flows.Count == 0 ? "conntrack -L -p udp: no flow for this port" : "conntrack -L -p udp:");
            foreach (ConntrackEntry flow in o.Flows)
            {
                console.WriteLine("  " + flow.Line);
            }
        }

        console.MarkupLine($"{VerdictMarkup(row)}: {Markup.Escape(row.Why)}");
    }

    /// <summary>The unprivileged fallback's outcome, in a few lines.</summary>
    public static void WriteLoopback(TableOutput output, IReadOnlyList<LoopbackResult> results)
    {
        ArgumentNullException.ThrowIfNull(output);
        IAnsiConsole console = output.Console;
        ArgumentNullException.ThrowIfNull(results);
        console.WriteLine($"Loopback demonstration: a client bound to {LoopbackDemo.ClientAddress}, connected to {LoopbackDemo.ServerAddress}, asks a server on 0.0.0.0.");
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("Server");
        table.AddColumn("Verdict");
        table.AddColumn("Replies received");
        table.AddColumn(new TableColumn("Reply came from").NoWrap());
        foreach (LoopbackResult r in results)
        {
            string seen = r.SeenFrom is null ? "(nothing)" : LabEvidence.Show(r.SeenFrom);
            table.AddRow(
                new Text(r.Server == ServerKind.Naive ? "naive (sendto)" : "Rebound"),
                new Markup(VerdictMarkup(r.Verdict, r.Expected)),
                new Text($"{r.Messages.Count(m => m.Answered)} of {r.Messages.Count}"),
                new Text(r.SeenFrom is not null && !r.Target.Equals(r.SeenFrom) ? $"{seen} (not {LabEvidence.Show(r.Target)}: dropped)" : seen));
        }

        output.Write(table);
        console.WriteLine("The kernel picks the naive reply's source from the route to the client (127.0.0.1); Rebound replies from the address asked.");
    }

    private static string VerdictMarkup(RowResult row) => VerdictMarkup(row.Verdict, row.Scenario.Expected);

    /// <summary>The verdict in a few characters for narrow tables: <c>fails ✓</c> when expected, <c>WORKS ≠ fails</c> when not.</summary>
    private static string ShortVerdictMarkup(Verdict verdict, Verdict expected) => verdict switch
    {
        Verdict.Skipped => "[grey]skipped[/]",
        Verdict.Error => "[red bold]error[/]",
        _ when verdict == expected => verdict == Verdict.Works ? "[green]works ✓[/]" : "[yellow]fails ✓[/]",
        _ => $"[red bold]{Name(verdict).ToUpperInvariant()} ≠ {Name(expected)}[/]",
    };

    private static string VerdictMarkup(Verdict verdict, Verdict expected) => verdict switch
    {
        Verdict.Skipped => "[grey]skipped[/]",
        Verdict.Error => "[red bold]error[/]",
        _ when verdict == expected => verdict == Verdict.Works ? "[green]works[/] (as expected)" : "[yellow]fails[/] (as expected)",
        _ => $"[red bold]{Name(verdict)}[/] (expected {Name(expected)})",
    };

    public static string Name(Verdict verdict) => verdict.ToString().ToLowerInvariant();
}
