namespace Rebound.Interop;

/// <summary>What the control messages of one received datagram said about where it was sent.</summary>
internal struct PacketInfo
{
    /// <summary>IP_PKTINFO was present: <see cref="V4Destination"/>, <see cref="V4SpecificDestination"/> are set.</summary>
    public bool HasV4;

    /// <summary><c>ipi_addr</c>: the destination address in the IP header (may be broadcast or multicast).</summary>
    public UdpEndPoint V4Destination;

    /// <summary><c>ipi_spec_dst</c>: the local unicast address the kernel would answer from.</summary>
    public UdpEndPoint V4SpecificDestination;

    /// <summary><c>ipi_ifindex</c>.</summary>
    public int V4InterfaceIndex;

    /// <summary>IPV6_PKTINFO was present: <see cref="V6Destination"/> and <see cref="V6InterfaceIndex"/> are set.</summary>
    public bool HasV6;

    /// <summary><c>ipi6_addr</c>: the destination address (v4-mapped for IPv4 datagrams on a dual-stack socket).</summary>
    public UdpEndPoint V6Destination;

    /// <summary><c>ipi6_ifindex</c>.</summary>
    public int V6InterfaceIndex;


    /// <summary>A control message was cut short or its header was inconsistent; decoding stopped there.</summary>
    public bool Malformed;
}
