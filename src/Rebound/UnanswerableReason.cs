namespace Rebound;

/// <summary>
/// Why a received datagram cannot be answered. Rebound refuses to reply when it does not know which address the request
/// was sent to, because guessing is exactly the bug it exists to prevent.
/// </summary>
public enum UnanswerableReason
{
    /// <summary>The destination is known; the datagram can be answered.</summary>
    None = 0,

    /// <summary>The kernel cut the control data short (MSG_CTRUNC), so the destination address may be missing or wrong.</summary>
    ControlDataTruncated,

    /// <summary>No IP_PKTINFO or IPV6_PKTINFO arrived with the datagram.</summary>
    MissingPacketInfo,

    /// <summary>The control data was malformed (a control message whose header disagrees with the buffer).</summary>
    MalformedControlData,
}
