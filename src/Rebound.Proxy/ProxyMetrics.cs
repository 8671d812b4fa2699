using System.Diagnostics.Metrics;

namespace Rebound.Proxy;

/// <summary>
/// Publishes one proxy's counters under the meter <c>"Rebound.Proxy"</c> (watch with
/// <c>dotnet-counters monitor --counters Rebound.Proxy</c>, scrape with <c>--metrics-listen</c>). The instruments are
/// observable: the hot path only bumps plain counters, and they are read when a listener collects. Attribute names
/// follow the OpenTelemetry semantic conventions where one exists: <c>network.io.direction</c> (seen from the
/// client-facing sockets: <c>receive</c> = client to backend, <c>transmit</c> = backend reply to client),
/// <c>network.transport</c>, <c>server.port</c> (the front port, when there is one) and <c>error.type</c>.
/// </summary>
internal static class ProxyMetrics
{
    public const string MeterName = "Rebound.Proxy";

    public static Meter Create(ProxyTotals counters, int? frontPort = null)
    {
        var meter = new Meter(MeterName, "1.0");
        KeyValuePair<string, object?>[] receive = Traffic("receive", frontPort), transmit = Traffic("transmit", frontPort);
        meter.CreateObservableUpDownCounter("rebound.proxy.flows.active", () => counters.Snapshot().ActiveFlows, "{flow}", "Flows open now.");
        meter.CreateObservableCounter("rebound.proxy.flows.created", () => counters.Snapshot().FlowsCreated, "{flow}", "Flows opened.");
        meter.CreateObservableCounter("rebound.proxy.flows.closed", () => ByReason<FlowCloseReason>(counters.ClosedFor, "reason"), "{flow}", "Flows closed, by reason (idle = expired).");
        meter.CreateObservableCounter("rebound.proxy.flows.refused", () => Refused(counters.Snapshot()), "{flow}", "New flows refused by a limit, by limit.");
        meter.CreateObservableCounter("rebound.proxy.datagrams", () => Directions(counters.Snapshot().DatagramsToBackend, counters.Snapshot().DatagramsToClient, receive, transmit), "{datagram}", "Datagrams forwarded, by direction.");
        meter.CreateObservableCounter("rebound.proxy.bytes", () => Directions(counters.Snapshot().BytesToBackend, counters.Snapshot().BytesToClient, receive, transmit), "By", "Payload bytes forwarded, by direction.");
        meter.CreateObservableCounter("rebound.proxy.drops", () => ByReason<DropReason>(counters.DroppedFor, "error.type"), "{datagram}", "Datagrams not forwarded, by reason.");
        return meter;
    }

    private static Measurement<long>[] Refused(ProxyStatistics s) =>
    [
        new(s.RefusedTableFull, new KeyValuePair<string, object?>("error.type", "max_flows")),
        new(s.RefusedClientLimit, new KeyValuePair<string, object?>("error.type", "max_flows_per_client")),
    ];

    private static Measurement<long>[] Directions(long toBackend, long toClient, KeyValuePair<string, object?>[] receive, KeyValuePair<string, object?>[] transmit) =>
        [new(toBackend, receive), new(toClient, transmit)];

    private static KeyValuePair<string, object?>[] Traffic(string direction, int? frontPort) => frontPort is int port
        ? [new("network.io.direction", direction), new("network.transport", "udp"), new("server.port", port)]
        : [new("network.io.direction", direction), new("network.transport", "udp")];

    private static IEnumerable<Measurement<long>> ByReason<TReason>(Func<TReason, long> read, string attribute)
        where TReason : struct, Enum
    {
        foreach (TReason reason in Enum.GetValues<TReason>())
        {
            yield return new Measurement<long>(read(reason), new KeyValuePair<string, object?>(attribute, SnakeCase(reason.ToString())));
        }
    }

    private static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
