using Spectre.Console;

namespace Rebound.Cli.Doctor;

/// <summary>Shows a doctor report to a person: the socket inventory, then one row per probed address with its verdict.</summary>
internal static class DoctorTableWriter
{
    public static void Write(DoctorReport report, IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(console);

        var sockets = new Table().Title($"UDP sockets in {Markup.Escape(report.Namespace)}")
            .AddColumns(Endpoint("Local"), Endpoint("Remote"), new TableColumn("Process"), new TableColumn("Exposure"));
        foreach (InventoryEntry entry in report.Inventory)
        {
            string exposure = entry.Exposure switch
            {
                SocketExposure.Wildcard => "[yellow]wildcard: may reply from the wrong address[/]",
                SocketExposure.SpecificAddress => "[green]safe by construction (bound to one address)[/]",
                _ => "connected (client socket)",
            };
            sockets.AddRow(
                Markup.Escape(EndpointText.Format(entry.Socket.Local)),
                entry.Exposure == SocketExposure.Connected ? Markup.Escape(EndpointText.Format(entry.Socket.Remote)) : "*",
                Markup.Escape(entry.OwnerText),
                exposure);
        }

        console.Write(sockets);
        if (report.Listeners.Count > 0)
        {
            bool fromClients = report.Listeners.Any(l => l.Probes.Any(p => p.Client is not null));
            var probes = new Table().Title(fromClients
                    ? "Probes from clients' namespaces (connected sockets, as their clients ask)"
                    : "Probes (a request to each local address, sent from another local address)")
                .AddColumns(Endpoint("Port"), new TableColumn("Probe"), Endpoint("Address asked"), Endpoint("Sent from"), new TableColumn("Verdict"), new TableColumn("Detail"));
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

            console.Write(probes);
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
