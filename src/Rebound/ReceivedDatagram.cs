namespace Rebound;

/// <summary>
/// What Rebound learned about one received datagram: who sent it, which local address it was sent to, and on which
/// interface it arrived. Pass it back to <see cref="ReboundSocket.Reply(in ReceivedDatagram, ReadOnlySpan{byte})"/>
/// and the reply leaves from <see cref="ReplySource"/>. It is a small struct, so receiving allocates nothing.
/// </summary>
public readonly struct ReceivedDatagram
{
    internal ReceivedDatagram(
        int length,
        UdpEndpoint remoteEndpoint,
        UdpEndpoint localEndpoint,
        UdpEndpoint replySource,
        int interfaceIndex,
        bool isTruncated,
        UnanswerableReason unanswerable,
        bool isBroadcastOrMulticast = false)
    {
        Length = length;
        RemoteEndpoint = remoteEndpoint;
        LocalEndpoint = localEndpoint;
        ReplySource = replySource;
        InterfaceIndex = interfaceIndex;
        IsTruncated = isTruncated;
        Unanswerable = unanswerable;
        IsBroadcastOrMulticast = isBroadcastOrMulticast;
    }

    /// <summary>Bytes of payload written into the receive buffer.</summary>
    public int Length { get; }

    /// <summary>The sender. On a dual-stack socket an IPv4 sender appears v4-mapped.</summary>
    public UdpEndpoint RemoteEndpoint { get; }

    /// <summary>The address (and the socket's port) the datagram was sent to, as the IP header says.</summary>
    /// <remarks>For a broadcast or multicast request this is the group or broadcast address, not a source to reply from.</remarks>
    public UdpEndpoint LocalEndpoint { get; }

    /// <summary>
    /// The address a reply will leave from: <see cref="LocalEndpoint"/> for unicast requests; a unicast address of the
    /// arrival interface for IPv4 broadcast or multicast (the kernel's <c>ipi_spec_dst</c>); unspecified for IPv6
    /// multicast, which lets the kernel choose on the arrival interface.
    /// </summary>
    public UdpEndpoint ReplySource { get; }

    /// <summary>The index of the interface the datagram arrived on (0 if unknown).</summary>
    public int InterfaceIndex { get; }

    /// <summary>The payload was larger than the buffer and was cut (MSG_TRUNC).</summary>
    public bool IsTruncated { get; }

    /// <summary>Why this datagram must not be answered, or <see cref="UnanswerableReason.None"/>.</summary>
    public UnanswerableReason Unanswerable { get; }

    /// <summary>
    /// The datagram was sent to a broadcast or multicast address, so the kernel gave a copy to every socket bound to
    /// the port (every socket of an SO_REUSEPORT group). A server with several sockets answers it from one only.
    /// </summary>
    public bool IsBroadcastOrMulticast { get; }

    /// <summary>True when the local address is known, so a reply can leave from it.</summary>
    public bool CanReply => Unanswerable == UnanswerableReason.None;
}
