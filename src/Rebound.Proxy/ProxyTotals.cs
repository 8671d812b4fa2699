namespace Rebound.Proxy;

/// <summary>
/// A proxy's counters summed over its event loops, for <c>--stats</c>, <see cref="UdpProxy.Statistics"/> and the
/// <c>Rebound.Proxy</c> meter. Each loop writes only its own <see cref="ProxyCounters"/>; this only reads them.
/// </summary>
internal sealed class ProxyTotals(IReadOnlyList<ProxyCounters> loops)
{
    public long DroppedFor(DropReason reason)
    {
        long sum = 0;
        foreach (ProxyCounters loop in loops)
        {
            sum += loop.DroppedFor(reason);
        }

        return sum;
    }

    public long ClosedFor(FlowCloseReason reason)
    {
        long sum = 0;
        foreach (ProxyCounters loop in loops)
        {
            sum += loop.ClosedFor(reason);
        }

        return sum;
    }

    public ProxyStatistics Snapshot()
    {
        var total = default(ProxyStatistics);
        foreach (ProxyCounters loop in loops)
        {
            total += loop.Snapshot();
        }

        return total;
    }
}
