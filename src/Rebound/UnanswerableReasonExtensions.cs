namespace Rebound;

/// <summary>Explains an <see cref="UnanswerableReason"/> in words, for logs and error messages.</summary>
public static class UnanswerableReasonExtensions
{
    /// <summary>
    /// A sentence fragment saying why a datagram is not answered, e.g. "the kernel truncated its control data
    /// (MSG_CTRUNC), so its destination address is unknown".
    /// </summary>
    public static string Describe(this UnanswerableReason reason) => reason switch
    {
        UnanswerableReason.ControlDataTruncated => "the kernel truncated its control data (MSG_CTRUNC), so its destination address is unknown",
        UnanswerableReason.MissingPacketInfo => "it arrived without IP_PKTINFO/IPV6_PKTINFO, so its destination address is unknown",
        UnanswerableReason.MalformedControlData => "its control data was malformed, so its destination address is unknown",
        UnanswerableReason.None => "nothing is wrong with it",
        _ => $"unknown reason {(int)reason}",
    };
}
