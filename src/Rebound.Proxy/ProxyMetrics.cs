using System.Diagnostics.Metrics;

namespace Rebound.Proxy;

/// <summary>
/// Publishes one proxy's counters under the meter <c>"Rebound.Proxy"</c> (watch with
/// <c>dotnet-counters monitor --counters Rebound.Proxy</c>). The instruments are observable: the hot path only bumps
/// plain counters, and they are read when a listener collects.
/// </summary>
internal static class ProxyMetrics
{
    public const string MeterName = "Rebound.Proxy";

    public static Meter Create(ProxyTotals counters)
    {
        var meter = new Meter(MeterName, "1.0");
        meter.CreateObservableUpDownCounter("rebound.proxy.flows.active", () => counters.Snapshot().ActiveFlows, "{flow}", "Flows open now.");
        meter.CreateObservableCounter("rebound.proxy.flows.created", () => counters.Snapshot().FlowsCreated, "{flow}", "Flows opened.");
        meter.CreateObservableCounter("rebound.proxy.flows.closed", () => ByReason<FlowCloseReason>(counters.ClosedFor), "{flow}", "Flows closed, by reason (idle = expired).");
        meter.CreateObservableCounter("rebound.proxy.flows.refused", () => Refused(counters.Snapshot()), "{flow}", "New flows refused by a limit, by limit.");
        meter.CreateObservableCounter("rebound.proxy.datagrams", () => Directions(counters.Snapshot().DatagramsToBackend, counters.Snapshot().DatagramsToClient), "{datagram}", "Datagrams forwarded, by direction.");
        meter.CreateObservableCounter("rebound.proxy.bytes", () => Directions(counters.Snapshot().BytesToBackend, counters.Snapshot().BytesToClient), "By", "Payload bytes forwarded, by direction.");
        meter.CreateObservableCounter("rebound.proxy.drops", () => ByReason<DropReason>(counters.DroppedFor), "{datagram}", "Datagrams not forwarded, by reason.");
        return meter;
    }

    private static Measurement<long>[] Refused(ProxyStatistics s) =>
    [
        new(s.RefusedTableFull, new KeyValuePair<string, object?>("limit", "max_flows")),
        new(s.RefusedClientLimit, new KeyValuePair<string, object?>("limit", "max_flows_per_client")),
    ];

    private static Measurement<long>[] Directions(long toBackend, long toClient) =>
    [
        new(toBackend, new KeyValuePair<string, object?>("direction", "to_backend")),
        new(toClient, new KeyValuePair<string, object?>("direction", "to_client")),
    ];

    private static IEnumerable<Measurement<long>> ByReason<TReason>(Func<TReason, long> read)
        where TReason : struct, Enum
    {
        foreach (TReason reason in Enum.GetValues<TReason>())
        {
            yield return new Measurement<long>(read(reason), new KeyValuePair<string, object?>("reason", SnakeCase(reason.ToString())));
        }
    }

    private static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
