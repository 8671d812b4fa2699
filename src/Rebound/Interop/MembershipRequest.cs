using System.Buffers.Binary;

namespace Rebound.Interop;

/// <summary>The setsockopt arguments that join and leave multicast groups (<c>ip_mreqn</c>, <c>ipv6_mreq</c>). Pure.</summary>
internal static class MembershipRequest
{
    /// <summary>Bytes of <c>struct ip_mreqn { in_addr imr_multiaddr; in_addr imr_address; int imr_ifindex; }</c>.</summary>
    public const int V4Size = 12;

    /// <summary>Bytes of <c>struct ipv6_mreq { in6_addr ipv6mr_multiaddr; int ipv6mr_interface; }</c>.</summary>
    public const int V6Size = 20;

    /// <summary>Writes an <c>ip_mreqn</c> for an IPv4 group (the local address left 0: the interface index decides).</summary>
    public static void WriteV4(UdpEndPoint group, int interfaceIndex, Span<byte> destination)
    {
        destination[..V4Size].Clear();
        group.V4Bytes.CopyTo(destination);
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], interfaceIndex);
    }

    /// <summary>Writes an <c>ipv6_mreq</c>.</summary>
    public static void WriteV6(UdpEndPoint group, int interfaceIndex, Span<byte> destination)
    {
        group.Bytes.CopyTo(destination);
        BinaryPrimitives.WriteInt32LittleEndian(destination[16..], interfaceIndex);
    }
}
