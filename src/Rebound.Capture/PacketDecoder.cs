using System.Buffers.Binary;
using System.Net;

namespace Rebound.Capture;

/// <summary>
/// Decodes captured frames (any <see cref="LinkType"/>) down to UDP and ICMP/ICMPv6. Pure and defensive: any
/// truncated or inconsistent header yields <see cref="PacketKind.Other"/>, never an exception.
/// </summary>
public static class PacketDecoder
{
    private const ushort EtherTypeIPv4 = 0x0800;
    private const ushort EtherTypeIPv6 = 0x86DD;
    private const ushort EtherTypeVlan = 0x8100;
    private const ushort EtherTypeQinQ = 0x88A8;
    private const byte ProtocolIcmp = 1;
    private const byte ProtocolUdp = 17;
    private const byte ProtocolIcmpV6 = 58;

    private static readonly DecodedPacket Other = new() { Kind = PacketKind.Other };

    public static DecodedPacket Decode(LinkType linkType, ReadOnlySpan<byte> frame)
    {
        try
        {
            return linkType switch
            {
                LinkType.Ethernet => DecodeEthernet(frame),
                LinkType.LinuxSll => frame.Length >= 16 ? DecodeByEtherType(BinaryPrimitives.ReadUInt16BigEndian(frame[14..]), frame[16..]) : Other,
                LinkType.LinuxSll2 => frame.Length >= 20 ? DecodeByEtherType(BinaryPrimitives.ReadUInt16BigEndian(frame), frame[20..]) : Other,
                LinkType.Raw or LinkType.IPv4 or LinkType.IPv6 => DecodeIP(frame),
                LinkType.Null or LinkType.Loop => frame.Length >= 4 ? DecodeIP(frame[4..]) : Other,
                _ => Other,
            };
        }
        catch (ArgumentOutOfRangeException)
        {
            // A length field pointed past the captured bytes (snaplen or corruption).
            return Other;
        }
    }

    /// <summary>Decodes a bare IPv4 or IPv6 packet (the version nibble decides).</summary>
    public static DecodedPacket DecodeIP(ReadOnlySpan<byte> packet)
    {
        if (packet.IsEmpty)
        {
            return Other;
        }

        return (packet[0] >> 4) switch
        {
            4 => DecodeIPv4(packet),
            6 => DecodeIPv6(packet),
            _ => Other,
        };
    }

    private static DecodedPacket DecodeEthernet(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 14)
        {
            return Other;
        }

        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        ReadOnlySpan<byte> rest = frame[14..];
        while ((etherType == EtherTypeVlan || etherType == EtherTypeQinQ) && rest.Length >= 4)
        {
            etherType = BinaryPrimitives.ReadUInt16BigEndian(rest[2..]);
            rest = rest[4..];
        }

        return DecodeByEtherType(etherType, rest);
    }

    private static DecodedPacket DecodeByEtherType(ushort etherType, ReadOnlySpan<byte> payload) => etherType switch
    {
        EtherTypeIPv4 => DecodeIPv4(payload),
        EtherTypeIPv6 => DecodeIPv6(payload),
        _ => Other,
    };

    private static DecodedPacket DecodeIPv4(ReadOnlySpan<byte> packet)
    {
        if (!TryParseIPv4Header(packet, out IPAddress source, out IPAddress destination, out byte protocol, out ReadOnlySpan<byte> body, out bool firstFragment)
            || !firstFragment)
        {
            return Other;
        }

        ulong fingerprint = Fingerprint(BinaryPrimitives.ReadUInt16BigEndian(packet[4..]), body);
        return protocol switch
        {
            ProtocolUdp => DecodeUdp(source, destination, body, fingerprint),
            ProtocolIcmp => DecodeIcmp(source, destination, body, isV6: false, fingerprint),
            _ => Other with { Source = source, Destination = destination, Protocol = protocol },
        };
    }

    private static DecodedPacket DecodeIPv6(ReadOnlySpan<byte> packet)
    {
        if (!TryParseIPv6Header(packet, out IPAddress source, out IPAddress destination, out byte protocol, out ReadOnlySpan<byte> body))
        {
            return Other;
        }

        return protocol switch
        {
            ProtocolUdp => DecodeUdp(source, destination, body, Fingerprint(0, body)),
            ProtocolIcmpV6 => DecodeIcmp(source, destination, body, isV6: true, Fingerprint(0, body)),
            _ => Other with { Source = source, Destination = destination, Protocol = protocol },
        };
    }

    /// <summary>FNV-1a (64-bit) over the IPv4 identification and the transport message.</summary>
    private static ulong Fingerprint(ushort identification, ReadOnlySpan<byte> message)
    {
        ulong hash = 14695981039346656037UL;
        hash = (hash ^ (byte)(identification >> 8)) * 1099511628211UL;
        hash = (hash ^ (byte)identification) * 1099511628211UL;
        foreach (byte b in message)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }

    private static DecodedPacket DecodeUdp(IPAddress source, IPAddress destination, ReadOnlySpan<byte> udp, ulong fingerprint)
    {
        if (udp.Length < 8)
        {
            return Other with { Source = source, Destination = destination };
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(udp[4..]);
        return new DecodedPacket
        {
            Kind = PacketKind.Udp,
            Source = source,
            Destination = destination,
            SourcePort = BinaryPrimitives.ReadUInt16BigEndian(udp),
            DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(udp[2..]),
            Length = Math.Max(0, length - 8),
            Fingerprint = fingerprint,
        };
    }

    private static DecodedPacket DecodeIcmp(IPAddress source, IPAddress destination, ReadOnlySpan<byte> icmp, bool isV6, ulong fingerprint)
    {
        if (icmp.Length < 8)
        {
            return Other with { Source = source, Destination = destination };
        }

        byte type = icmp[0];
        byte code = icmp[1];
        var packet = new DecodedPacket
        {
            Kind = PacketKind.OtherIcmp,
            Source = source,
            Destination = destination,
            IcmpType = type,
            IcmpCode = code,
            Length = icmp.Length,
            Fingerprint = fingerprint,
        };

        // ICMP destination unreachable (3) code 3 = port; ICMPv6 destination unreachable (1) code 4 = port.
        bool portUnreachable = isV6 ? type == 1 && code == 4 : type == 3 && code == 3;
        if (!portUnreachable)
        {
            return packet;
        }

        ReadOnlySpan<byte> quoted = icmp[8..];
        bool parsed = isV6
            ? TryParseIPv6Header(quoted, out IPAddress qs, out IPAddress qd, out byte qp, out ReadOnlySpan<byte> qbody)
            : TryParseIPv4Header(quoted, out qs, out qd, out qp, out qbody, out _);
        if (!parsed || qp != ProtocolUdp || qbody.Length < 4)
        {
            return packet;
        }

        return packet with
        {
            Kind = PacketKind.PortUnreachable,
            QuotedSource = qs,
            QuotedDestination = qd,
            QuotedSourcePort = BinaryPrimitives.ReadUInt16BigEndian(qbody),
            QuotedDestinationPort = BinaryPrimitives.ReadUInt16BigEndian(qbody[2..]),
        };
    }

    /// <summary>Parses an IPv4 header. The body is cut to the header's total length when that fits what was captured
    /// (a quoted header inside ICMP is usually cut short, so a shorter body is accepted).</summary>
    private static bool TryParseIPv4Header(ReadOnlySpan<byte> packet, out IPAddress source, out IPAddress destination, out byte protocol, out ReadOnlySpan<byte> body, out bool firstFragment)
    {
        source = destination = IPAddress.None;
        protocol = 0;
        body = default;
        firstFragment = false;
        if (packet.Length < 20 || packet[0] >> 4 != 4)
        {
            return false;
        }

        int headerLength = (packet[0] & 0x0F) * 4;
        if (headerLength < 20 || headerLength > packet.Length)
        {
            return false;
        }

        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        firstFragment = (BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x1FFF) == 0;
        protocol = packet[9];
        source = new IPAddress(packet.Slice(12, 4));
        destination = new IPAddress(packet.Slice(16, 4));
        int end = totalLength >= headerLength && totalLength <= packet.Length ? totalLength : packet.Length;
        body = packet[headerLength..end];
        return true;
    }

    /// <summary>Parses an IPv6 header and walks hop-by-hop, routing, destination-options and fragment headers.</summary>
    private static bool TryParseIPv6Header(ReadOnlySpan<byte> packet, out IPAddress source, out IPAddress destination, out byte protocol, out ReadOnlySpan<byte> body)
    {
        source = destination = IPAddress.None;
        protocol = 0;
        body = default;
        if (packet.Length < 40 || packet[0] >> 4 != 6)
        {
            return false;
        }

        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        protocol = packet[6];
        source = new IPAddress(packet.Slice(8, 16));
        destination = new IPAddress(packet.Slice(24, 16));
        int end = 40 + payloadLength <= packet.Length && payloadLength > 0 ? 40 + payloadLength : packet.Length;
        body = packet[40..end];
        for (int hops = 0; hops < 8; hops++)
        {
            switch (protocol)
            {
                case 0 or 43 or 60: // hop-by-hop, routing, destination options
                    if (body.Length < 8)
                    {
                        return false;
                    }

                    int length = (body[1] + 1) * 8;
                    if (length > body.Length)
                    {
                        return false;
                    }

                    protocol = body[0];
                    body = body[length..];
                    break;
                case 44: // fragment: only the first fragment carries the transport header
                    if (body.Length < 8 || (BinaryPrimitives.ReadUInt16BigEndian(body[2..]) & 0xFFF8) != 0)
                    {
                        return false;
                    }

                    protocol = body[0];
                    body = body[8..];
                    break;
                default:
                    return true;
            }
        }

        return false;
    }
}
