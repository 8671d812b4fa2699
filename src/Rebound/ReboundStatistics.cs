namespace Rebound;

/// <summary>
/// A snapshot of what one <see cref="ReboundSocket"/> has done, for logs and health checks. The same numbers are
/// published through <see cref="System.Diagnostics.Metrics"/> (meter "Rebound") for dashboards.
/// </summary>
public readonly record struct ReboundStatistics
{
    /// <summary>Datagrams received.</summary>
    public long Received { get; init; }

    /// <summary>Datagrams sent (replies and explicit sends).</summary>
    public long Sent { get; init; }

    /// <summary>Received datagrams whose payload was larger than the buffer (MSG_TRUNC).</summary>
    public long Truncated { get; init; }

    /// <summary>Received datagrams whose control data was truncated (MSG_CTRUNC); they are never answered.</summary>
    public long ControlDataTruncated { get; init; }

    /// <summary>Received datagrams that arrived without IP_PKTINFO/IPV6_PKTINFO; they are never answered.</summary>
    public long MissingPacketInfo { get; init; }

    /// <summary>Received datagrams whose control data could not be decoded; they are never answered.</summary>
    public long MalformedControlData { get; init; }

    /// <summary>Sends that failed because the source address was unavailable (EINVAL, EADDRNOTAVAIL, ENETUNREACH).</summary>
    public long SourceUnavailable { get; init; }

    /// <summary>All failed sends, including <see cref="SourceUnavailable"/>.</summary>
    public long SendErrors { get; init; }

    /// <summary>Datagrams the kernel dropped for this socket because its receive queue was full (sk_drops).</summary>
    public long KernelDrops { get; init; }

    /// <summary>Requests a <see cref="ReboundServer"/> handler threw on (or answered with an impossible length); not answered.</summary>
    public long HandlerErrors { get; init; }

    /// <summary>Adds two snapshots, e.g. the sockets of one <see cref="ReboundServer"/>.</summary>
    public static ReboundStatistics operator +(ReboundStatistics left, ReboundStatistics right) => new()
    {
        Received = left.Received + right.Received,
        Sent = left.Sent + right.Sent,
        Truncated = left.Truncated + right.Truncated,
        ControlDataTruncated = left.ControlDataTruncated + right.ControlDataTruncated,
        MissingPacketInfo = left.MissingPacketInfo + right.MissingPacketInfo,
        MalformedControlData = left.MalformedControlData + right.MalformedControlData,
        SourceUnavailable = left.SourceUnavailable + right.SourceUnavailable,
        SendErrors = left.SendErrors + right.SendErrors,
        KernelDrops = left.KernelDrops + right.KernelDrops,
        HandlerErrors = left.HandlerErrors + right.HandlerErrors,
    };
}
