using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Rebound.Cli.Doctor;

/// <summary>
/// The request sent to a listener: one a real service on that port answers (a service ignores what it cannot parse,
/// and a silent service proves nothing). Unknown ports get a short text line, which echo-style services return.
/// </summary>
internal static class ProbePayloads
{
    /// <summary>What a probe sends to an unknown port.</summary>
    public static readonly byte[] Generic = Encoding.ASCII.GetBytes("rebound doctor probe\n");

    /// <summary>The payload for <paramref name="port"/> and a short name of the protocol it speaks.</summary>
    public static (byte[] Payload, string Protocol) For(int port) => port switch
    {
        53 => (DnsQuery("version.bind", type: 16, @class: 3), "dns"),
        5353 => (DnsQuery("_services._dns-sd._udp.local", type: 12, @class: 1), "mdns"),
        123 => (NtpClientRequest(), "ntp"),
        3478 => (StunBindingRequest(), "stun"),
        161 => (SnmpGetSysDescr("public"), "snmp"),
        _ => (Generic, "generic"),
    };

    /// <summary>A DNS query (RD set) for <paramref name="name"/>; version.bind/TXT/CHAOS is answered locally by dnsmasq, BIND, unbound.</summary>
    public static byte[] DnsQuery(string name, ushort type, ushort @class)
    {
        ArgumentNullException.ThrowIfNull(name);
        var bytes = new List<byte>(64);
        Span<byte> header = stackalloc byte[12];
        RandomNumberGenerator.Fill(header[..2]);
        header[2] = 0x01; // RD
        header[5] = 1; // QDCOUNT
        bytes.AddRange(header.ToArray());
        foreach (string label in name.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }

        bytes.Add(0);
        bytes.AddRange([(byte)(type >> 8), (byte)type, (byte)(@class >> 8), (byte)@class]);
        return [.. bytes];
    }

    /// <summary>An NTPv4 client request (mode 3) with a transmit timestamp, as ntpdate/chrony send.</summary>
    public static byte[] NtpClientRequest()
    {
        byte[] packet = new byte[48];
        packet[0] = (4 << 3) | 3; // LI 0, version 4, mode 3 (client)
        ulong seconds = (ulong)(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 2_208_988_800L); // NTP era starts 1900
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(40), (uint)seconds);
        RandomNumberGenerator.Fill(packet.AsSpan(44, 4));
        return packet;
    }

    /// <summary>A STUN Binding Request (RFC 8489): type 0x0001, no attributes, magic cookie, random transaction id.</summary>
    public static byte[] StunBindingRequest()
    {
        byte[] packet = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(packet, 0x0001);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), 0x2112A442);
        RandomNumberGenerator.Fill(packet.AsSpan(8, 12));
        return packet;
    }

    /// <summary>An SNMPv2c GetRequest for sysDescr.0 (1.3.6.1.2.1.1.1.0) with the given community.</summary>
    public static byte[] SnmpGetSysDescr(string community)
    {
        ArgumentNullException.ThrowIfNull(community);
        byte[] requestId = new byte[4];
        RandomNumberGenerator.Fill(requestId);
        requestId[0] &= 0x7F; // a positive INTEGER
        byte[] varBind = Tlv(0x30, [.. Tlv(0x06, [0x2B, 6, 1, 2, 1, 1, 1, 0]), .. Tlv(0x05, [])]);
        byte[] pdu = Tlv(0xA0, [.. Tlv(0x02, requestId), .. Tlv(0x02, [0]), .. Tlv(0x02, [0]), .. Tlv(0x30, varBind)]);
        return Tlv(0x30, [.. Tlv(0x02, [1]), .. Tlv(0x04, Encoding.ASCII.GetBytes(community)), .. pdu]);
    }

    /// <summary>Parses <c>--payload</c>: hex digits, optionally separated by spaces or colons.</summary>
    public static bool TryParseHex(string text, out byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(text);
        string digits = new(text.Where(c => !char.IsWhiteSpace(c) && c != ':').ToArray());
        if (digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            digits = digits[2..];
        }

        try
        {
            payload = Convert.FromHexString(digits);
            return payload.Length > 0;
        }
        catch (FormatException)
        {
            payload = [];
            return false;
        }
    }

    // BER type-length-value with short-form lengths (everything here is under 128 bytes).
    private static byte[] Tlv(byte tag, byte[] value) => [tag, (byte)value.Length, .. value];
}
