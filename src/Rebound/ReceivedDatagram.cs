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
        UdpEndPoint remoteEndPoint,
        UdpEndPoint localEndPoint,
        UdpEndPoint replySource,
        int interfaceIndex,
        bool isTruncated,
        UnanswerableReason unanswerable,
        bool isBroadcastOrMulticast = false)
    {
        Length = length;
        RemoteEndPoint = remoteEndPoint;
        LocalEndPoint = localEndPoint;
        ReplySource = replySource;
        InterfaceIndex = interfaceIndex;
        ReplyInterfaceIndex = ReplyPolicy.InterfaceFor(replySource, interfaceIndex);
        IsTruncated = isTruncated;
        Unanswerable = unanswerable;
        IsBroadcastOrMulticast = isBroadcastOrMulticast;
    }

    /// <summary>
    /// Makes a datagram as a receive would have, for unit-testing a <see cref="DatagramHandler"/> or other code that
    /// takes one. <see cref="ReplySource"/> follows the same rules as a real receive: the local address for unicast
    /// (with <paramref name="interfaceIndex"/> as the scope of a link-local one), unspecified for IPv6 multicast.
    /// </summary>
    /// <param name="remoteEndPoint">The sender.</param>
    /// <param name="localEndPoint">The address and port the datagram was sent to. For an IPv4 client of a dual-stack socket
    /// pass both v4-mapped.</param>
    /// <param name="length">Bytes of payload.</param>
    /// <param name="interfaceIndex">The arrival interface (0 if it does not matter).</param>
    /// <param name="unanswerable">Why it must not be answered, to test that path; <see cref="UnanswerableReason.None"/> by default.</param>
    /// <exception cref="ArgumentException">An IPv4 multicast or broadcast local address: a real receive learns the
    /// unicast reply source from the kernel (<c>ipi_spec_dst</c>), which cannot be made up here.</exception>
    public static ReceivedDatagram Create(
        UdpEndPoint remoteEndPoint,
        UdpEndPoint localEndPoint,
        int length,
        int interfaceIndex = 0,
        UnanswerableReason unanswerable = UnanswerableReason.None)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfNegative(interfaceIndex);
        bool v4 = localEndPoint.IsIPv4 || localEndPoint.IsIPv4MappedToIPv6;
        if (v4 && (localEndPoint.IsMulticast || localEndPoint.IsLimitedBroadcast))
        {
            throw new ArgumentException("An IPv4 multicast or broadcast request is answered from the kernel's ipi_spec_dst; pass the unicast address it arrived on.", nameof(localEndPoint));
        }

        // The pktinfo the kernel would have attached, decided by the same policy as a real receive.
        Interop.PacketInfo info = v4
            ? new() { HasV4 = true, V4Destination = localEndPoint.MapToIPv4(), V4SpecificDestination = localEndPoint.MapToIPv4(), V4InterfaceIndex = interfaceIndex }
            : new() { HasV6 = true, V6Destination = localEndPoint, V6InterfaceIndex = interfaceIndex };
        if (!ReplyPolicy.TryDecide(info, remoteEndPoint, out UdpEndPoint local, out UdpEndPoint replySource, out int arrival, out _))
        {
            throw new ArgumentException("The sender and local address belong to different families.", nameof(remoteEndPoint));
        }

        return new ReceivedDatagram(length, remoteEndPoint, local.WithPort(localEndPoint.Port), replySource.WithPort(localEndPoint.Port), arrival, isTruncated: false, unanswerable);
    }

    /// <summary>Bytes of payload written into the receive buffer.</summary>
    public int Length { get; }

    /// <summary>The sender. On a dual-stack socket an IPv4 sender appears v4-mapped.</summary>
    public UdpEndPoint RemoteEndPoint { get; }

    /// <summary>The address (and the socket's port) the datagram was sent to, as the IP header says.</summary>
    /// <remarks>For a broadcast or multicast request this is the group or broadcast address, not a source to reply from.</remarks>
    public UdpEndPoint LocalEndPoint { get; }

    /// <summary>
    /// The address a reply will leave from: <see cref="LocalEndPoint"/> for unicast requests; a unicast address of the
    /// arrival interface for IPv4 broadcast or multicast (the kernel's <c>ipi_spec_dst</c>); unspecified for IPv6
    /// multicast, which lets the kernel choose on the arrival interface.
    /// </summary>
    public UdpEndPoint ReplySource { get; }

    /// <summary>The index of the interface the datagram arrived on (0 if unknown).</summary>
    public int InterfaceIndex { get; }

    /// <summary>The interface index the reply's pktinfo carries (<see cref="ReplyPolicy.InterfaceFor"/>); 0 lets routing decide.</summary>
    internal int ReplyInterfaceIndex { get; }

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
