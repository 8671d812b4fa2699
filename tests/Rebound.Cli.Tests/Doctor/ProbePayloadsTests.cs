using System.Buffers.Binary;
using System.Text;
using CsCheck;
using Rebound.Cli.Doctor;

namespace Rebound.Cli.Tests.Doctor;

/// <summary>
/// The built-in probe requests have the wire shape their protocols require (the DNS one is also answered by a real
/// dnsmasq in <see cref="DoctorNamespaceTests"/>), and --payload hex parsing accepts what people type.
/// </summary>
public sealed class ProbePayloadsTests
{
    [Fact]
    public void Dns_query_for_version_bind_is_one_chaos_txt_question()
    {
        (byte[] query, string protocol) = ProbePayloads.For(53);

        Assert.Equal("dns", protocol);
        Assert.Equal(0x01, query[2]); // QR=0, opcode 0, RD=1
        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(4))); // QDCOUNT
        Assert.All(query[6..12], b => Assert.Equal(0, b)); // no answers, authority, additional
        byte[] name = [7, .. "version"u8, 4, .. "bind"u8, 0];
        Assert.Equal(name, query[12..(12 + name.Length)]);
        Assert.Equal(16, BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(12 + name.Length))); // TXT
        Assert.Equal(3, BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(14 + name.Length))); // CH
        Assert.Equal(12 + name.Length + 4, query.Length);
    }

    [Fact]
    public void Ntp_request_is_a_48_byte_version_4_client_packet_with_a_transmit_time()
    {
        (byte[] packet, _) = ProbePayloads.For(123);

        Assert.Equal(48, packet.Length);
        Assert.Equal(4, (packet[0] >> 3) & 7);
        Assert.Equal(3, packet[0] & 7);
        long unix = BinaryPrimitives.ReadUInt32BigEndian(packet.AsSpan(40)) - 2_208_988_800L;
        Assert.InRange(unix, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 60);
    }

    [Fact]
    public void Stun_request_is_a_binding_request_with_the_magic_cookie()
    {
        (byte[] packet, _) = ProbePayloads.For(3478);

        Assert.Equal(20, packet.Length);
        Assert.Equal(0x0001, BinaryPrimitives.ReadUInt16BigEndian(packet));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(2)));
        Assert.Equal(0x2112A442u, BinaryPrimitives.ReadUInt32BigEndian(packet.AsSpan(4)));
    }

    [Fact]
    public void Snmp_request_is_well_formed_ber_for_a_v2c_get_of_sysdescr()
    {
        (byte[] message, _) = ProbePayloads.For(161);

        // SEQUENCE { INTEGER 1, OCTET STRING "public", GetRequest { id, 0, 0, SEQUENCE { SEQUENCE { OID, NULL } } } }
        List<(byte Tag, byte[] Value)> top = Ber(message);
        Assert.Equal(0x30, Assert.Single(top).Tag);
        List<(byte Tag, byte[] Value)> fields = Ber(top[0].Value);
        Assert.Equal([0x02, 0x04, 0xA0], fields.Select(f => f.Tag));
        Assert.Equal([1], fields[0].Value);
        Assert.Equal("public", Encoding.ASCII.GetString(fields[1].Value));
        List<(byte Tag, byte[] Value)> pdu = Ber(fields[2].Value);
        Assert.Equal([0x02, 0x02, 0x02, 0x30], pdu.Select(f => f.Tag));
        Assert.True(pdu[0].Value[0] < 0x80, "request id must be a positive INTEGER");
        List<(byte Tag, byte[] Value)> varBind = Ber(Assert.Single(Ber(pdu[3].Value)).Value);
        Assert.Equal((byte)0x06, varBind[0].Tag);
        Assert.Equal([0x2B, 6, 1, 2, 1, 1, 1, 0], varBind[0].Value);
        Assert.Equal(((byte)0x05, Array.Empty<byte>()), (varBind[1].Tag, varBind[1].Value));
    }

    [Fact]
    public void Other_ports_get_the_text_line()
    {
        Assert.Equal(("rebound doctor probe\n", "generic"), (Encoding.ASCII.GetString(ProbePayloads.For(45000).Payload), ProbePayloads.For(45000).Protocol));
    }

    [Theory]
    [InlineData("68656c6c6f", "hello")]
    [InlineData("0x68 65:6C 6c 6F", "hello")]
    public void Hex_payloads_accept_spaces_colons_and_0x(string text, string expected)
    {
        Assert.True(ProbePayloads.TryParseHex(text, out byte[] payload));
        Assert.Equal(expected, Encoding.ASCII.GetString(payload));
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("zz")]
    public void Bad_hex_is_refused(string text)
    {
        Assert.False(ProbePayloads.TryParseHex(text, out _));
    }

    [Fact]
    public void Hex_round_trips_any_bytes()
    {
        Gen.Byte.Array[1, 64].Sample(bytes =>
        {
            Assert.True(ProbePayloads.TryParseHex(Convert.ToHexString(bytes), out byte[] parsed));
            Assert.Equal(bytes, parsed);
        });
    }

    // Short-form BER only: every length in these requests is under 128.
    private static List<(byte Tag, byte[] Value)> Ber(byte[] bytes)
    {
        var items = new List<(byte, byte[])>();
        int i = 0;
        while (i < bytes.Length)
        {
            Assert.True(bytes[i + 1] < 0x80, "long-form length");
            int length = bytes[i + 1];
            Assert.True(i + 2 + length <= bytes.Length, "a length runs past its parent");
            items.Add((bytes[i], bytes[(i + 2)..(i + 2 + length)]));
            i += 2 + length;
        }

        return items;
    }
}
