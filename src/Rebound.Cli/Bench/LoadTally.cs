namespace Rebound.Cli.Bench;

/// <summary>What the load generator counted during the measured window; cleared when the warm-up ends.</summary>
internal sealed class LoadTally
{
    /// <summary>Datagrams sent.</summary>
    public long Sent { get; set; }

    /// <summary>Replies matching an outstanding datagram.</summary>
    public long Replies { get; set; }

    /// <summary>Datagrams unanswered within the loss timeout (a reply arriving later is counted as late, not as a reply).</summary>
    public long Lost { get; set; }

    /// <summary>Replies that matched nothing outstanding: late, duplicated, or not ours.</summary>
    public long Unexpected { get; set; }

    /// <summary>ICMP port-unreachable errors reported on the client sockets (nothing listening at the target).</summary>
    public long Refused { get; set; }

    /// <summary>Round-trip times in nanoseconds.</summary>
    public LatencyHistogram Latency { get; } = new();

    public void Clear()
    {
        Sent = 0;
        Replies = 0;
        Lost = 0;
        Unexpected = 0;
        Refused = 0;
        Latency.Clear();
    }
}
