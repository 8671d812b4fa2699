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
            .AddColumns("Local", "Remote", "Process", "Exposure");
        foreach (InventoryEntry entry in report.Inventory)
        {
            string exposure = entry.Exposure switch
            {
                SocketExposure.Wildcard => "[yellow]wildcard: may reply from the wrong address[/]",
                SocketExposure.SpecificAddress => "[green]safe by construction (bound to one address)[/]",
                _ => "connected (client socket)",
            };
            sockets.AddRow(
                Markup.Escape(entry.Socket.Local.ToString()),
                entry.Exposure == SocketExposure.Connected ? Markup.Escape(entry.Socket.Remote.ToString()) : "*",
                Markup.Escape(entry.OwnerText),
                exposure);
        }

        console.Write(sockets);
        if (report.Listeners.Count > 0)
        {
            var probes = new Table().Title("Probes (a request to each local address, sent from another local address)")
                .AddColumns("Port", "Probe", "Address asked", "Sent from", "Verdict", "Detail");
            foreach (ListenerReport listener in report.Listeners)
            {
                foreach (ProbeResult probe in listener.Probes)
                {
                    probes.AddRow(
                        listener.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        listener.Protocol,
                        Markup.Escape($"{probe.Target.Address} ({probe.Target.Interface})"),
                        Markup.Escape(probe.Source.ToString()),
                        Colored(probe.Verdict),
                        Markup.Escape(probe.Detail));
                }
            }

            console.Write(probes);
            foreach (ListenerReport listener in report.Listeners)
            {
                string owners = listener.Sockets.Count == 0 ? "" : $" ({string.Join("; ", listener.Sockets.Select(s => s.OwnerText).Distinct())})";
                console.MarkupLine($"port {listener.Port}{Markup.Escape(owners)}: {Colored(listener.Verdict)}");
            }
        }

        foreach (string note in report.Notes)
        {
            console.MarkupLine($"[grey]note: {Markup.Escape(note)}[/]");
        }
    }

    private static string Colored(ProbeVerdict verdict) => verdict switch
    {
        ProbeVerdict.Ok => "[green]OK[/]",
        ProbeVerdict.WrongSource => "[red]WRONG SOURCE[/]",
        _ => $"[yellow]{ProbeResult.Describe(verdict)}[/]",
    };

    private static string Colored(ListenerVerdict verdict) => verdict switch
    {
        ListenerVerdict.AtRisk => "[red]AT RISK: replies leave from the wrong address[/]",
        ListenerVerdict.Ok => "[green]OK: replies leave from the address asked[/]",
        ListenerVerdict.Inconclusive => "[yellow]INCONCLUSIVE: no reply to the probe (try --payload)[/]",
        _ => "[yellow]REFUSED on every address[/]",
    };
}
