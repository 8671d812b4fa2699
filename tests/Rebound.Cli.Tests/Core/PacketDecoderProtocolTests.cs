using System.Net;
using Rebound.Capture;

namespace Rebound.Cli.Tests.Core;

/// <summary>Non-UDP IP packets keep their protocol number, so a TCP segment prints as TCP (the lab's TCP row).</summary>
public sealed class PacketDecoderProtocolTests
{
    [Fact]
    public void Ipv4_tcp_segment_is_reported_as_tcp()
    {
        byte[] packet =
        [
            0x45, 0x00, 0x00, 0x28, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, // v4, IHL 5, length 40, DF, TTL 64, TCP
            198, 51, 100, 13, 192, 0, 2, 3,
            0xDD, 0xD5, 0xB0, 0x6F, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x12, 0xFF, 0xFF, 0, 0, 0, 0, // ports 56789 > 45167, SYN-ACK
        ];

        DecodedPacket decoded = PacketDecoder.Decode(LinkType.Raw, packet);

        Assert.Equal(PacketKind.Other, decoded.Kind);
        Assert.Equal(6, decoded.Protocol);
        Assert.Equal(IPAddress.Parse("198.51.100.13"), decoded.Source);
        Assert.Equal("IP 198.51.100.13 > 192.0.2.3: TCP", PacketFormatter.Format(decoded));
    }

    [Fact]
    public void Ipv6_with_another_protocol_keeps_its_number()
    {
        byte[] packet = new byte[48];
        packet[0] = 0x60;
        packet[5] = 8;    // payload length
        packet[6] = 132;  // SCTP
        packet[8] = 0x20; packet[9] = 0x01; packet[10] = 0x0d; packet[11] = 0xb8; packet[23] = 1;
        packet[24] = 0x20; packet[25] = 0x01; packet[26] = 0x0d; packet[27] = 0xb8; packet[39] = 2;

        DecodedPacket decoded = PacketDecoder.Decode(LinkType.Raw, packet);

        Assert.Equal(132, decoded.Protocol);
        Assert.EndsWith("(other protocol)", PacketFormatter.Format(decoded), StringComparison.Ordinal);
    }
}
