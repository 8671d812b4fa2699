namespace Rebound.Capture.Analysis;

/// <summary>Counts over everything the analyzer was shown, for the closing summary.</summary>
public sealed class AnalysisSummary
{
    /// <summary>Every packet (frame) seen, including non-IP ones.</summary>
    public long Packets { get; internal set; }

    public long UdpDatagrams { get; internal set; }

    public long PortUnreachables { get; internal set; }

    /// <summary>Copies of a packet seen again within a millisecond (bridge and port of a bridge, lo in and out…).</summary>
    public long Duplicates { get; internal set; }

    /// <summary>Distinct client→server request flows seen.</summary>
    public long Flows { get; internal set; }

    /// <summary>Flows dropped from the table to keep memory bounded before their window ended.</summary>
    public long FlowsEvicted { get; internal set; }

    /// <summary>Wrong replies in flows beyond the listed-finding limit (counted, not listed).</summary>
    public long UnlistedBadReplies { get; internal set; }

    public long? FirstTimestampNanoseconds { get; internal set; }

    public long? LastTimestampNanoseconds { get; internal set; }
}
