using System.Buffers.Binary;
using System.Net;

namespace Rebound.Shield.Tests.Support;

/// <summary>Builds the Ethernet frames BPF_PROG_TEST_RUN takes: Ethernet + IPv4/IPv6 + UDP (or another protocol) + payload.</summary>
public static class Packets
{
    public static readonly byte[] UnicastMac = [0, 0, 0, 0, 0, 0];      // the test device's (loopback's) address: PACKET_HOST
    public static readonly byte[] BroadcastMac = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    public static readonly byte[] MulticastMac = [0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb];

    public static byte[] Udp(IPEndPoint source, IPEndPoint destination, byte[]? destinationMac = null, int protocol = 17, int payloadLength = 5)
    {
        bool v6 = source.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        int ipLength = v6 ? 40 : 20;
        var frame = new byte[14 + ipLength + 8 + payloadLength];
        (destinationMac ?? UnicastMac).CopyTo(frame, 0);
        new byte[] { 0x02, 0, 0, 0, 0, 1 }.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), (ushort)(v6 ? 0x86dd : 0x0800));
        Span<byte> ip = frame.AsSpan(14);
        int udpLength = 8 + payloadLength;
        if (v6)
        {
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)udpLength);
            ip[6] = (byte)protocol;
            ip[7] = 64;
            source.Address.GetAddressBytes().CopyTo(ip[8..]);
            destination.Address.GetAddressBytes().CopyTo(ip[24..]);
        }
        else
        {
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + udpLength));
            ip[8] = 64;
            ip[9] = (byte)protocol;
            source.Address.GetAddressBytes().CopyTo(ip[12..]);
            destination.Address.GetAddressBytes().CopyTo(ip[16..]);
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum(ip[..20]));
        }

        Span<byte> udp = ip[ipLength..];
        BinaryPrimitives.WriteUInt16BigEndian(udp, (ushort)source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], (ushort)destination.Port);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)udpLength);
        return frame;
    }

    private static ushort Checksum(ReadOnlySpan<byte> header)
    {
        uint sum = 0;
        for (int i = 0; i < header.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(header[i..]);
        }

        while (sum > 0xffff)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
