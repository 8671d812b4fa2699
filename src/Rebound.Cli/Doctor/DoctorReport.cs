namespace Rebound.Cli.Doctor;

/// <summary>The verdict on one listening port, from the probes of all its addresses.</summary>
internal enum ListenerVerdict
{
    /// <summary>At least one reply came from the wrong address: connected clients of that address get no answer.</summary>
    AtRisk,

    /// <summary>Some probe got no reply (or could not be sent): not proven either way.</summary>
    Inconclusive,

    /// <summary>Every reply came from the address asked (refused addresses aside).</summary>
    Ok,

    /// <summary>Every probe was refused: nothing answers on those addresses.</summary>
    Refused,

    /// <summary>No probe was sent to this port (the run stopped at its probe cap first).</summary>
    NotProbed,
}

/// <summary>One probed port: who holds it, what each address answered, and the verdict.</summary>
internal sealed record ListenerReport(int Port, string Protocol, IReadOnlyList<InventoryEntry> Sockets, IReadOnlyList<ProbeResult> Probes)
{
    public ListenerVerdict Verdict =>
        Probes.Count == 0 ? ListenerVerdict.NotProbed
        : Probes.Any(p => p.Verdict == ProbeVerdict.WrongSource) ? ListenerVerdict.AtRisk
        : Probes.Any(p => p.Verdict is ProbeVerdict.NoReply or ProbeVerdict.Error or ProbeVerdict.NotSent) ? ListenerVerdict.Inconclusive
        : Probes.Any(p => p.Verdict == ProbeVerdict.Ok) ? ListenerVerdict.Ok
        : ListenerVerdict.Refused;

    public static string Describe(ListenerVerdict verdict) => verdict switch
    {
        ListenerVerdict.AtRisk => "AT RISK",
        ListenerVerdict.Inconclusive => "INCONCLUSIVE",
        ListenerVerdict.Ok => "OK",
        ListenerVerdict.NotProbed => "NOT PROBED",
        _ => "REFUSED",
    };

    /// <summary>Why the verdict is what it is, in a few words (for people).</summary>
    public string Explanation => Verdict switch
    {
        ListenerVerdict.AtRisk => "replies leave from the wrong address",
        ListenerVerdict.Ok => "replies leave from the address asked",
        ListenerVerdict.Inconclusive when Probes.Any(p => p.Verdict == ProbeVerdict.NoReply) => "no reply to the probe (try --payload)",
        ListenerVerdict.Inconclusive when Probes.Any(p => p.Verdict == ProbeVerdict.NotSent) => "NAT rewrote the probe, so it was never sent",
        ListenerVerdict.Inconclusive => "the probe could not be sent (see its detail)",
        ListenerVerdict.NotProbed => $"the run stopped at its cap of {DoctorOptions.MaxProbes} probes before this port; choose with --port and --address",
        _ => "refused on every address",
    };
}

/// <summary>Everything one doctor run found, ready for the table or JSON writers.</summary>
internal sealed record DoctorReport(
    string Namespace,
    IReadOnlyList<InventoryEntry> Inventory,
    IReadOnlyList<LocalAddress> Targets,
    IReadOnlyList<ListenerReport> Listeners,
    IReadOnlyList<string> Notes)
{
    /// <summary>True when some listener was proven to reply from the wrong address.</summary>
    public bool WrongSourceProven => Listeners.Any(l => l.Verdict == ListenerVerdict.AtRisk);
}
