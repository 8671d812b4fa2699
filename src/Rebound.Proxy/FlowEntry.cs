namespace Rebound.Proxy;

/// <summary>
/// The bookkeeping a <see cref="FlowTable{TFlow}"/> keeps for each flow: its key, when it last carried a datagram, and
/// whether the backend ever answered (a one-way flow, such as syslog, gets its own idle timeout).
/// </summary>
internal class FlowEntry(FlowKey key)
{
    public FlowKey Key { get; } = key;

    /// <summary>Milliseconds (on the table's clock) of the last datagram in either direction.</summary>
    public long LastActivity { get; set; }

    /// <summary>True once the backend has sent anything back on this flow.</summary>
    public bool Answered { get; set; }
}
