namespace Rebound.Proxy;

/// <summary>Why the proxy did not forward a datagram (<see cref="UdpProxy.DroppedFor(DropReason)"/>).</summary>
public enum DropReason
{
    /// <summary>The datagram arrived without its destination address (no pktinfo): it could never be answered correctly.</summary>
    UnknownDestination,

    /// <summary>A new flow was refused by a limit.</summary>
    FlowRefused,

    /// <summary>The upstream socket for a new flow could not be opened (out of descriptors, no route).</summary>
    UpstreamOpenFailed,

    /// <summary>The backend refused it (ICMP port unreachable on the flow's socket).</summary>
    BackendRefused,

    /// <summary>A send buffer was full or the send failed otherwise.</summary>
    SendFailed,

    /// <summary>Receiving from a client failed (an error queued on the front socket).</summary>
    ReceiveFailed,

    /// <summary>The local address the client targeted is gone, so its reply cannot leave from it.</summary>
    SourceUnavailable,

    /// <summary>
    /// The datagram came from one of the backends, or from the proxy's own front address: a spoofed source that would
    /// make the proxy and the backend (or the proxy and itself) answer each other forever.
    /// </summary>
    Reflected,
}

/// <summary>Why a flow ended.</summary>
internal enum FlowCloseReason
{
    Idle,
    BackendRefused,
    SourceUnavailable,
    Error,
    Shutdown,
}

/// <summary>
/// The proxy's live counters. Only the event loop writes them (plain increments, no contention); any thread may read a
/// <see cref="Snapshot"/> for --stats or the metrics.
/// </summary>
internal sealed class ProxyCounters
{
    private readonly long[] _drops = new long[Enum.GetValues<DropReason>().Length];
    private readonly long[] _closed = new long[Enum.GetValues<FlowCloseReason>().Length];
    private long _active;
    private long _created;
    private long _refusedTableFull;
    private long _refusedClientLimit;
    private long _datagramsToBackend;
    private long _datagramsToClient;
    private long _bytesToBackend;
    private long _bytesToClient;

    public void FlowOpened()
    {
        _created++;
        Volatile.Write(ref _active, _active + 1);
    }

    public void FlowClosed(FlowCloseReason reason)
    {
        _closed[(int)reason]++;
        Volatile.Write(ref _active, _active - 1);
    }

    public void Refused(FlowAdmission admission)
    {
        if (admission == FlowAdmission.TableFull)
        {
            _refusedTableFull++;
        }
        else
        {
            _refusedClientLimit++;
        }

        _drops[(int)DropReason.FlowRefused]++;
    }

    public void Dropped(DropReason reason) => _drops[(int)reason]++;

    /// <summary>Counts <paramref name="datagrams"/> forwarded to a backend, <paramref name="bytes"/> in all (once per send, not per datagram).</summary>
    public void ToBackend(int datagrams, long bytes)
    {
        _datagramsToBackend += datagrams;
        _bytesToBackend += bytes;
    }

    /// <summary>Counts <paramref name="datagrams"/> replies sent to a client, <paramref name="bytes"/> in all.</summary>
    public void ToClient(int datagrams, long bytes)
    {
        _datagramsToClient += datagrams;
        _bytesToClient += bytes;
    }

    public long DroppedFor(DropReason reason) => Volatile.Read(ref _drops[(int)reason]);

    public long ClosedFor(FlowCloseReason reason) => Volatile.Read(ref _closed[(int)reason]);

    public ProxyStatistics Snapshot()
    {
        long drops = 0;
        foreach (DropReason reason in Enum.GetValues<DropReason>())
        {
            drops += DroppedFor(reason);
        }

        return new ProxyStatistics(
            ActiveFlows: Volatile.Read(ref _active),
            FlowsCreated: Volatile.Read(ref _created),
            FlowsExpired: ClosedFor(FlowCloseReason.Idle),
            FlowsClosedByBackend: ClosedFor(FlowCloseReason.BackendRefused),
            RefusedTableFull: Volatile.Read(ref _refusedTableFull),
            RefusedClientLimit: Volatile.Read(ref _refusedClientLimit),
            DatagramsToBackend: Volatile.Read(ref _datagramsToBackend),
            DatagramsToClient: Volatile.Read(ref _datagramsToClient),
            BytesToBackend: Volatile.Read(ref _bytesToBackend),
            BytesToClient: Volatile.Read(ref _bytesToClient),
            Dropped: drops);
    }
}

/// <summary>A point-in-time copy of a proxy's counters.</summary>
public readonly record struct ProxyStatistics(
    long ActiveFlows,
    long FlowsCreated,
    long FlowsExpired,
    long FlowsClosedByBackend,
    long RefusedTableFull,
    long RefusedClientLimit,
    long DatagramsToBackend,
    long DatagramsToClient,
    long BytesToBackend,
    long BytesToClient,
    long Dropped)
{
    /// <summary>Field-by-field sum: a proxy's totals over its event loops.</summary>
    public static ProxyStatistics operator +(ProxyStatistics a, ProxyStatistics b) => new(
        a.ActiveFlows + b.ActiveFlows,
        a.FlowsCreated + b.FlowsCreated,
        a.FlowsExpired + b.FlowsExpired,
        a.FlowsClosedByBackend + b.FlowsClosedByBackend,
        a.RefusedTableFull + b.RefusedTableFull,
        a.RefusedClientLimit + b.RefusedClientLimit,
        a.DatagramsToBackend + b.DatagramsToBackend,
        a.DatagramsToClient + b.DatagramsToClient,
        a.BytesToBackend + b.BytesToBackend,
        a.BytesToClient + b.BytesToClient,
        a.Dropped + b.Dropped);

    /// <summary>One line for --stats.</summary>
    public override string ToString() =>
        $"flows {ActiveFlows} active, {FlowsCreated} created, {FlowsExpired} expired, {FlowsClosedByBackend} closed by backend, " +
        $"{RefusedTableFull + RefusedClientLimit} refused; to backend {DatagramsToBackend} dgrams {BytesToBackend} B; " +
        $"to clients {DatagramsToClient} dgrams {BytesToClient} B; dropped {Dropped}";
}
