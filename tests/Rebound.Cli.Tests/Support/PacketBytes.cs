using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Rebound.Cli.Tests.Support;

/// <summary>
/// Builds real-shaped IP packets (UDP, ICMP/ICMPv6 port unreachable quoting a datagram) and link-layer framings, for
/// hand-built capture files. Checksums are left zero: decoders and capture readers do not look at them.
/// </summary>
internal static class PacketBytes
{
    /// <summary>A UDP datagram; <paramref name="seed"/> varies the payload and the IPv4 identification, as distinct datagrams of one flow do.</summary>
    public static byte[] Udp(IPEndPoint source, IPEndPoint destination, int payloadLength = 5, int seed = 0)
    {
        byte[] udp = new byte[8 + payloadLength];
        BinaryPrimitives.WriteUInt16BigEndian(udp, (ushort)source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), (ushort)destination.Port);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        for (int i = 8; i < udp.Length; i++)
        {
            udp[i] = (byte)('a' + ((i + seed) % 26));
        }

        if (payloadLength >= 2)
        {
            BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(8), (ushort)seed);
        }

        byte[] packet = IP(source.Address, destination.Address, 17, udp);
        if (source.AddressFamily == AddressFamily.InterNetwork)
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)(seed * 7));
        }

        return packet;
    }

    /// <summary>The ICMP (or ICMPv6) port unreachable that <paramref name="rejecter"/> sends about <paramref name="rejectedDatagram"/>.</summary>
    public static byte[] PortUnreachable(IPAddress rejecter, byte[] rejectedDatagram)
    {
        bool v6 = rejecter.AddressFamily == AddressFamily.InterNetworkV6;
        var quotedSource = new IPAddress(v6 ? rejectedDatagram.AsSpan(8, 16) : rejectedDatagram.AsSpan(12, 4));
        byte[] icmp = new byte[8 + rejectedDatagram.Length];
        icmp[0] = v6 ? (byte)1 : (byte)3;
        icmp[1] = v6 ? (byte)4 : (byte)3;
        rejectedDatagram.CopyTo(icmp.AsSpan(8));
        return IP(rejecter, quotedSource, v6 ? (byte)58 : (byte)1, icmp);
    }

    public static byte[] IP(IPAddress source, IPAddress destination, byte protocol, byte[] payload)
    {
        if (source.AddressFamily == AddressFamily.InterNetwork)
        {
            byte[] packet = new byte[20 + payload.Length];
            packet[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
            packet[8] = 64;
            packet[9] = protocol;
            source.TryWriteBytes(packet.AsSpan(12), out _);
            destination.TryWriteBytes(packet.AsSpan(16), out _);
            payload.CopyTo(packet.AsSpan(20));
            return packet;
        }

        byte[] v6 = new byte[40 + payload.Length];
        v6[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(v6.AsSpan(4), (ushort)payload.Length);
        v6[6] = protocol;
        v6[7] = 64;
        source.TryWriteBytes(v6.AsSpan(8), out _);
        destination.TryWriteBytes(v6.AsSpan(24), out _);
        payload.CopyTo(v6.AsSpan(40));
        return v6;
    }

    private static ushort EtherType(byte[] ip) => (ip[0] >> 4) == 6 ? (ushort)0x86DD : (ushort)0x0800;

    public static byte[] Ethernet(byte[] ip)
    {
        byte[] frame = new byte[14 + ip.Length];
        frame[0] = 0x02;
        frame[6] = 0x02;
        frame[11] = 1;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EtherType(ip));
        ip.CopyTo(frame.AsSpan(14));
        return frame;
    }

    public static byte[] LinuxSll(byte[] ip)
    {
        byte[] frame = new byte[16 + ip.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), 1); // ARPHRD_ETHER
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(4), 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), EtherType(ip));
        ip.CopyTo(frame.AsSpan(16));
        return frame;
    }

    public static byte[] LinuxSll2(byte[] ip)
    {
        byte[] frame = new byte[20 + ip.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, EtherType(ip));
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), 3); // interface index
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(8), 1);
        frame[11] = 6;
        ip.CopyTo(frame.AsSpan(20));
        return frame;
    }

    /// <summary>BSD loopback (DLT_NULL): the address family in host byte order.</summary>
    public static byte[] Null(byte[] ip)
    {
        byte[] frame = new byte[4 + ip.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (ip[0] >> 4) == 6 ? 30u : 2u);
        ip.CopyTo(frame.AsSpan(4));
        return frame;
    }
}
