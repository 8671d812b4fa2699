using System.Diagnostics.Metrics;

namespace Rebound;

/// <summary>
/// Publishes every socket's counters through <see cref="System.Diagnostics.Metrics"/> under the meter name
/// <c>"Rebound"</c>, so <c>dotnet-counters monitor --counters Rebound</c> or OpenTelemetry can watch a server. Counting
/// costs one atomic increment per datagram; the instruments are observable and read the counters only when collected.
/// </summary>
public static class ReboundMetrics
{
    /// <summary>The meter name to subscribe to.</summary>
    public const string MeterName = "Rebound";

    private static readonly Lock Gate = new();
    private static readonly List<SocketCounters> Live = [];
    private static readonly SocketCounters Retired = new();
    private static readonly Meter Meter = CreateMeter();

    internal static void Register(SocketCounters counters)
    {
        _ = Meter;
        lock (Gate)
        {
            // Sockets that were abandoned without Dispose have been collected (their descriptors closed by the
            // runtime): retire their counters here, so the list stays as long as the number of live sockets.
            if (Live.Count >= 64 && Live.Count == Live.Capacity)
            {
                RetireCollected();
            }

            Live.Add(counters);
        }
    }

    private static void RetireCollected()
    {
        Live.RemoveAll(c =>
        {
            if (c.OwnerAlive)
            {
                return false;
            }

            c.AddTo(Retired);
            return true;
        });
    }

    internal static void Unregister(SocketCounters counters)
    {
        lock (Gate)
        {
            if (Live.Remove(counters))
            {
                counters.AddTo(Retired);
            }
        }
    }

    private static Meter CreateMeter()
    {
        var meter = new Meter(MeterName, "1.0");
        meter.CreateObservableCounter("rebound.datagrams.received", () => Sum(s => s.Received), "{datagram}", "Datagrams received by Rebound sockets.");
        meter.CreateObservableCounter("rebound.datagrams.sent", () => Sum(s => s.Sent), "{datagram}", "Datagrams sent from a chosen source address.");
        meter.CreateObservableCounter("rebound.datagrams.dropped", Dropped, "{datagram}", "Datagrams not answered or not sent, by reason.");
        meter.CreateObservableCounter("rebound.send.errors", SendErrorsByErrno, "{datagram}", "Failed sends by Linux errno.");
        meter.CreateObservableCounter("rebound.kernel.receive_queue_drops", () => Sum(s => s.KernelDrops), "{datagram}", "Datagrams the kernel dropped for want of receive-queue space (sk_drops).");
        return meter;
    }

    private static long Sum(Func<ReboundStatistics, long> pick)
    {
        lock (Gate)
        {
            RetireCollected();
            long total = pick(Retired.Snapshot());
            foreach (SocketCounters counters in Live)
            {
                total += pick(counters.Snapshot());
            }

            return total;
        }
    }

    private static IEnumerable<Measurement<long>> Dropped() =>
    [
        new(Sum(s => s.Truncated), new KeyValuePair<string, object?>("error.type", "truncated")),
        new(Sum(s => s.ControlDataTruncated), new KeyValuePair<string, object?>("error.type", "control_truncated")),
        new(Sum(s => s.MissingPacketInfo), new KeyValuePair<string, object?>("error.type", "no_pktinfo")),
        new(Sum(s => s.MalformedControlData), new KeyValuePair<string, object?>("error.type", "malformed_control")),
        new(Sum(s => s.SourceUnavailable), new KeyValuePair<string, object?>("error.type", "source_unavailable")),
        new(Sum(s => s.HandlerErrors), new KeyValuePair<string, object?>("error.type", "handler_error")),
    ];

    private static IEnumerable<Measurement<long>> SendErrorsByErrno()
    {
        var totals = new long[Interop.ErrnoExtensions.MaxTracked + 1];
        lock (Gate)
        {
            Retired.CopySendErrorsByErrno(totals);
            foreach (SocketCounters counters in Live)
            {
                counters.CopySendErrorsByErrno(totals);
            }
        }

        for (int errno = 0; errno < totals.Length; errno++)
        {
            if (totals[errno] != 0)
            {
                yield return new Measurement<long>(totals[errno], new KeyValuePair<string, object?>("errno", errno));
            }
        }
    }
}
