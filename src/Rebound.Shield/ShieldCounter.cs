namespace Rebound.Shield;

/// <summary>What the shield's programs count, one slot each in its per-CPU counter map.</summary>
public enum ShieldCounter
{
    /// <summary>Unicast UDP datagrams delivered to the cgroup whose local address was recorded.</summary>
    Recorded = 0,

    /// <summary>Recordings that replaced another local address for the same peer and ports (last one wins).</summary>
    Replaced = 1,

    /// <summary>UDP datagrams not recorded: broadcast, multicast, not addressed to this host, or unreadable headers.</summary>
    NotRecorded = 2,

    /// <summary>Sends whose source the shield set to the recorded address.</summary>
    SourceSet = 3,

    /// <summary>Unconnected sends to a peer with no recording (never asked, or evicted): the kernel chose the source.</summary>
    Missed = 4,

    /// <summary>Sends left alone because the application chose a source itself (IP_PKTINFO, a bound address).</summary>
    ApplicationChose = 5,

    /// <summary>IPv6 replies whose recorded address is link-local: the kernel's choice on the outgoing link is already that address.</summary>
    LinkLocalLeftToKernel = 6,
}
