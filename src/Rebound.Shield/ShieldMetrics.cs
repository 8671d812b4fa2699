using System.Diagnostics.Metrics;

namespace Rebound.Shield;

/// <summary>
/// Publishes a shield's counters under the meter <c>"Rebound.Shield"</c> (<c>dotnet-counters monitor --counters
/// Rebound.Shield</c>). Observable instruments: the kernel keeps the counts, they are read only when collected.
/// </summary>
public static class ShieldMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Rebound.Shield";

    /// <summary>Creates the meter for <paramref name="shield"/>; dispose it before the shield.</summary>
    public static Meter Create(CgroupShield shield)
    {
        ArgumentNullException.ThrowIfNull(shield);
        var meter = new Meter(MeterName, "1.0");
        meter.CreateObservableCounter("rebound.shield.datagrams", () => Datagrams(shield.ReadCounters()), "{datagram}", "Datagrams seen by the ingress program, by outcome.");
        meter.CreateObservableCounter("rebound.shield.sends", () => Sends(shield.ReadCounters()), "{send}", "Unconnected sends seen by the sendmsg programs, by outcome.");
        meter.CreateObservableUpDownCounter("rebound.shield.entries", () => (long)shield.CountEntries(), "{peer}", "Peers in the address map.");
        return meter;
    }

    private static Measurement<long>[] Datagrams(ShieldCounters c) =>
    [
        new(c.Recorded, new KeyValuePair<string, object?>("outcome", "recorded")),
        new(c.Replaced, new KeyValuePair<string, object?>("outcome", "replaced")),
        new(c.NotRecorded, new KeyValuePair<string, object?>("outcome", "not_recorded")),
    ];

    private static Measurement<long>[] Sends(ShieldCounters c) =>
    [
        new(c.SourceSet, new KeyValuePair<string, object?>("outcome", "source_set")),
        new(c.Missed, new KeyValuePair<string, object?>("outcome", "missed")),
        new(c.ApplicationChose, new KeyValuePair<string, object?>("outcome", "application_chose")),
        new(c.LinkLocalLeftToKernel, new KeyValuePair<string, object?>("outcome", "link_local_left_to_kernel")),
    ];
}
