using System.Globalization;
using System.Net;

namespace Rebound.Capture;

/// <summary>Prints a <see cref="DecodedPacket"/> the way tcpdump does, so people can compare with what they know.</summary>
public static class PacketFormatter
{
    /// <summary>E.g. <c>IP 192.0.2.3.45167 &gt; 198.51.100.13.56789: UDP, length 6</c>.</summary>
    public static string Format(DecodedPacket packet)
    {
        string family = packet.IsIPv6 ? "IP6" : "IP";
        return packet.Kind switch
        {
            PacketKind.Udp => string.Create(CultureInfo.InvariantCulture,
                $"{family} {Endpoint(packet.Source, packet.SourcePort)} > {Endpoint(packet.Destination, packet.DestinationPort)}: UDP, length {packet.Length}"),
            PacketKind.PortUnreachable => packet.IsIPv6
                ? string.Create(CultureInfo.InvariantCulture,
                    $"{family} {packet.Source} > {packet.Destination}: ICMP6, destination unreachable, unreachable port, {packet.QuotedDestination} udp port {packet.QuotedDestinationPort}")
                : string.Create(CultureInfo.InvariantCulture,
                    $"{family} {packet.Source} > {packet.Destination}: ICMP {packet.QuotedDestination} udp port {packet.QuotedDestinationPort} unreachable, length {packet.Length}"),
            PacketKind.OtherIcmp => string.Create(CultureInfo.InvariantCulture,
                $"{family} {packet.Source} > {packet.Destination}: {(packet.IsIPv6 ? "ICMP6" : "ICMP")} type {packet.IcmpType} code {packet.IcmpCode}, length {packet.Length}"),
            _ => packet.Source is null ? "(not IP)" : $"{family} {packet.Source} > {packet.Destination}: {(packet.Protocol == 6 ? "TCP" : "(other protocol)")}",
        };
    }

    private static string Endpoint(IPAddress? address, ushort port) => string.Create(CultureInfo.InvariantCulture, $"{address}.{port}");
}
