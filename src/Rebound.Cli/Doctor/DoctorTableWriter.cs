using Rebound.Cli.Infrastructure;
using Spectre.Console;

namespace Rebound.Cli.Doctor;

/// <summary>Shows a doctor report to a person: the socket inventory, then one row per probed address with its verdict.</summary>
internal static class DoctorTableWriter
{
    /// <summary>Spectre's square border with one space of padding: "│ " before each column and "│" after the last.</summary>
    private const int BorderPerColumn = 3;

    /// <summary>The process column never gets narrower than this, even when the endpoints take the rest.</summary>
    private const int MinProcessWidth = 12;

    public static void Write(DoctorReport report, TableOutput output)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(output);
        IAnsiConsole console = output.Console;

        var rows = report.Inventory.Select(e => (
            Local: EndpointText.Format(e.Socket.Local),
            Remote: e.Exposure == SocketExposure.Connected ? EndpointText.Format(e.Socket.Remote) : "*",
            Process: e.OwnerText,
            Exposure: e.Exposure)).ToList();

        // The process column takes whatever the endpoints and the exposure leave, and its text is cut to fit there
        // (on one line, ending in …); piped as plain columns it is whole.
        int processWidth = int.MaxValue;
        if (!output.Plain)
        {
            int others = Widest(rows.Select(r => r.Local), "Local") + Widest(rows.Select(r => r.Remote), "Remote") +
                         Widest(rows.Select(r => ExposureWord(r.Exposure)), "Exposure");
            processWidth = Math.Max(MinProcessWidth, output.Width - others - (4 * BorderPerColumn) - 1);
        }

        var sockets = new Table().Title($"UDP sockets in {Markup.Escape(report.Namespace)}")
            .AddColumns(Endpoint("Local"), Endpoint("Remote"), new TableColumn("Process").NoWrap(), new TableColumn("Exposure").NoWrap());
        foreach (var row in rows)
        {
            sockets.AddRow(Markup.Escape(row.Local), Markup.Escape(row.Remote), Markup.Escape(Cut(row.Process, processWidth)), ExposureMarkup(row.Exposure));
        }

        output.Write(sockets);
        if (rows.Count > 0)
        {
            console.MarkupLine("[grey]wildcard: may reply from the wrong address (the probes tell); one address: safe by construction; connected: a client socket[/]");
        }

        if (report.Listeners.Count > 0)
        {
            bool fromClients = report.Listeners.Any(l => l.Probes.Any(p => p.Client is not null));
            var probes = new Table().Title(fromClients
                    ? "Probes from clients' namespaces (connected sockets, as their clients ask)"
                    : "Probes (a request to each local address, sent from another local address)")
                .AddColumns(Endpoint("Port"), new TableColumn("Probe"), Endpoint("Address asked"), Endpoint("Sent from"), Endpoint("Verdict"), new TableColumn("Detail"));
            foreach (ListenerReport listener in report.Listeners)
            {
                foreach (ProbeResult probe in listener.Probes)
                {
                    probes.AddRow(
                        listener.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        listener.Protocol,
                        Markup.Escape($"{EndpointText.Address(probe.Target.Address)} ({probe.Target.Interface})"),
                        Markup.Escape(probe.Client is null ? EndpointText.Address(probe.Source) : $"{EndpointText.Address(probe.Source)} in {probe.Client}"),
                        Colored(probe.Verdict),
                        Markup.Escape(probe.Detail));
                }
            }

            output.Write(probes);
            foreach (ListenerReport listener in report.Listeners)
            {
                string owners = listener.Sockets.Count == 0 ? "" : $" ({string.Join("; ", listener.Sockets.Select(s => s.OwnerText).Distinct())})";
                console.MarkupLine($"port {listener.Port}{Markup.Escape(owners)}: {Colored(listener)}");
            }
        }

        foreach (string note in report.Notes)
        {
            console.MarkupLine($"[grey]note: {Markup.Escape(note)}[/]");
        }
    }

    /// <summary>Addresses and ports are never wrapped: a split endpoint misleads whoever copies it.</summary>
    private static TableColumn Endpoint(string header) => new TableColumn(header).NoWrap();

    private static int Widest(IEnumerable<string> cells, string header) => cells.Append(header).Max(c => c.Length);

    /// <summary><paramref name="text"/> in at most <paramref name="width"/> characters, ending in … when cut.</summary>
    internal static string Cut(string text, int width) =>
        text.Length <= width ? text : string.Concat(text.AsSpan(0, Math.Max(0, width - 1)), "…");

    private static string ExposureWord(SocketExposure exposure) => exposure switch
    {
        SocketExposure.Wildcard => "wildcard",
        SocketExposure.SpecificAddress => "one address",
        _ => "connected",
    };

    private static string ExposureMarkup(SocketExposure exposure) => exposure switch
    {
        SocketExposure.Wildcard => "[yellow]wildcard[/]",
        SocketExposure.SpecificAddress => "[green]one address[/]",
        _ => "connected",
    };

    private static string Colored(ProbeVerdict verdict) => verdict switch
    {
        ProbeVerdict.Ok => "[green]OK[/]",
        ProbeVerdict.WrongSource => "[red]WRONG SOURCE[/]",
        _ => $"[yellow]{ProbeResult.Describe(verdict)}[/]",
    };

    private static string Colored(ListenerReport listener)
    {
        string text = Markup.Escape($"{ListenerReport.Describe(listener.Verdict)}: {listener.Explanation}");
        return listener.Verdict switch
        {
            ListenerVerdict.AtRisk => $"[red]{text}[/]",
            ListenerVerdict.Ok => $"[green]{text}[/]",
            _ => $"[yellow]{text}[/]",
        };
    }
}
