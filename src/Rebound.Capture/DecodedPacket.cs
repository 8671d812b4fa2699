using System.Net;

namespace Rebound.Capture;

/// <summary>What a captured frame carries at the transport layer.</summary>
public enum PacketKind
{
    /// <summary>Not IP, or an IP protocol Rebound ignores (TCP…).</summary>
    Other,

    /// <summary>A UDP datagram.</summary>
    Udp,

    /// <summary>An ICMP or ICMPv6 "port unreachable" quoting a UDP header.</summary>
    PortUnreachable,

    /// <summary>Another ICMP or ICMPv6 message.</summary>
    OtherIcmp,
}

/// <summary>
/// One captured packet reduced to the facts the analyzer and the lab need: addresses, ports, payload length, and for
/// ICMP port unreachable the UDP header it quotes (the rejected datagram).
/// </summary>
public sealed record DecodedPacket
{
    public PacketKind Kind { get; init; }

    /// <summary>The IP protocol number for <see cref="PacketKind.Other"/> IP packets (6 = TCP), else 0.</summary>
    public byte Protocol { get; init; }

    /// <summary>The IP header's source and destination (null when not IP).</summary>
    public IPAddress? Source { get; init; }

    public IPAddress? Destination { get; init; }

    public ushort SourcePort { get; init; }

    public ushort DestinationPort { get; init; }

    /// <summary>UDP payload length (from the UDP header), or the ICMP message length.</summary>
    public int Length { get; init; }

    /// <summary>For <see cref="PacketKind.PortUnreachable"/>: the quoted datagram's addresses and ports.</summary>
    public IPAddress? QuotedSource { get; init; }

    public IPAddress? QuotedDestination { get; init; }

    public ushort QuotedSourcePort { get; init; }

    public ushort QuotedDestinationPort { get; init; }

    /// <summary>ICMP type and code, for <see cref="PacketKind.OtherIcmp"/> and <see cref="PacketKind.PortUnreachable"/>.</summary>
    public byte IcmpType { get; init; }

    public byte IcmpCode { get; init; }

    /// <summary>
    /// Tells this packet from another one with the same addresses, ports and length: a hash of the IPv4 identification
    /// and of the whole UDP or ICMP message as captured (checksum and payload). Two copies of one packet (on a bridge
    /// and on its port) share it; two datagrams that merely look alike do not.
    /// </summary>
    public ulong Fingerprint { get; init; }

    public bool IsIPv6 => Source?.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;

    public IPEndPoint SourceEndPoint => new(Source!, SourcePort);

    public IPEndPoint DestinationEndPoint => new(Destination!, DestinationPort);
}
