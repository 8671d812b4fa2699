using System.Buffers.Binary;
using CsCheck;
using Rebound.Interop;
using static Rebound.Tests.Interop.ControlMessageBytes;

namespace Rebound.Tests.Interop;

public sealed class ControlMessagesTests
{
    [Fact]
    public void Ipv4_source_is_encoded_as_ip_pktinfo_with_spec_dst_and_the_policys_ifindex_zero()
    {
        byte[] control = new byte[ControlMessages.SendBufferSize];
        UdpEndPoint source = UdpEndPoint.Parse("198.51.100.13:0");
        int length = ControlMessages.WriteSource(source, ReplyPolicy.InterfaceFor(source, interfaceIndex: 7), control);

        Assert.Equal(32, length);
        Assert.Equal(
            [28, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 198, 51, 100, 13, 0, 0, 0, 0, 0, 0, 0, 0],
            control[..32]);
    }

    [Fact]
    public void V4_mapped_source_on_a_dual_stack_socket_is_also_encoded_as_ip_pktinfo()
    {
        byte[] control = new byte[ControlMessages.SendBufferSize];
        int length = ControlMessages.WriteSource(UdpEndPoint.Parse("[::ffff:198.51.100.13]:0"), 0, control);

        Assert.Equal(32, length);
        Assert.Equal(0, BinaryPrimitives.ReadInt32LittleEndian(control.AsSpan(8)));   // SOL_IP
        Assert.Equal([198, 51, 100, 13], control[20..24]);
    }

    [Fact]
    public void Ipv6_source_is_encoded_as_ipv6_pktinfo_with_the_given_ifindex()
    {
        byte[] control = new byte[ControlMessages.SendBufferSize];
        int length = ControlMessages.WriteSource(UdpEndPoint.Parse("[fe80::1]:0"), interfaceIndex: 3, control);

        Assert.Equal(40, length);
        Assert.Equal(36UL, BinaryPrimitives.ReadUInt64LittleEndian(control));
        Assert.Equal(41, BinaryPrimitives.ReadInt32LittleEndian(control.AsSpan(8)));
        Assert.Equal(50, BinaryPrimitives.ReadInt32LittleEndian(control.AsSpan(12)));
        Assert.Equal(0xFE, control[16]);
        Assert.Equal(3, BinaryPrimitives.ReadInt32LittleEndian(control.AsSpan(32)));
    }

    [Fact]
    public void Too_small_a_send_buffer_is_a_documented_argument_exception()
    {
        Assert.Throws<ArgumentException>(() => ControlMessages.WriteSource(UdpEndPoint.Parse("[2001:db8::1]:0"), 0, new byte[39]));
    }

    [Fact]
    public void A_dual_stack_ipv4_datagram_carries_both_pktinfos_and_both_decode_past_other_messages()
    {
        byte[] control = [.. In6PacketInfo("::ffff:198.51.100.13", 2), .. InPacketInfo(2, "198.51.100.13", "198.51.100.13"), .. DropCounter(5)];

        PacketInfo info = ControlMessages.Read(control);

        Assert.True(info.HasV4);
        Assert.True(info.HasV6);
        Assert.False(info.Malformed);
        Assert.Equal("[::ffff:198.51.100.13]:0", info.V6Destination.ToString());
        Assert.Equal("198.51.100.13:0", info.V4SpecificDestination.ToString());
        Assert.Equal(2, info.V4InterfaceIndex);
    }

    [Fact]
    public void Unknown_messages_are_skipped()
    {
        byte[] control = [.. Message(1, 29, new byte[16]), .. InPacketInfo(1, "127.0.0.2", "127.0.0.2")];   // SO_TIMESTAMPNS first

        PacketInfo info = ControlMessages.Read(control);

        Assert.True(info.HasV4);
        Assert.False(info.Malformed);
    }

    [Theory]
    [InlineData(8UL)]     // shorter than the header
    [InlineData(4096UL)]  // longer than the buffer
    public void An_inconsistent_length_stops_decoding_and_is_flagged(ulong badLength)
    {
        byte[] control = Message(0, 8, new byte[12], badLength);

        PacketInfo info = ControlMessages.Read(control);

        Assert.True(info.Malformed);
        Assert.False(info.HasV4);
    }

    [Fact]
    public void A_pktinfo_with_a_short_payload_is_flagged_not_read()
    {
        PacketInfo info = ControlMessages.Read(Message(41, 50, new byte[12]));

        Assert.True(info.Malformed);
        Assert.False(info.HasV6);
    }

    [Fact]
    public void A_buffer_shorter_than_a_header_decodes_to_nothing()
    {
        PacketInfo info = ControlMessages.Read(new byte[15]);

        Assert.False(info.HasV4 || info.HasV6 || info.Malformed);
    }

    [Fact]
    public void Decoding_arbitrary_bytes_never_throws()
    {
        Gen.Byte.Array[0, 256].Sample(bytes => { ControlMessages.Read(bytes); }, iter: 20_000);
    }

    [Fact]
    public void Decoding_mutated_and_truncated_real_buffers_never_throws_nor_reads_past_the_end()
    {
        byte[] real = [.. In6PacketInfo("::ffff:192.0.2.1", 4), .. InPacketInfo(4, "192.0.2.1", "192.0.2.255")];
        Gen.Select(Gen.Int[0, real.Length - 1], Gen.Byte, Gen.Int[0, real.Length]).Sample((index, value, cut) =>
        {
            byte[] mutated = (byte[])real.Clone();
            mutated[index] = value;
            PacketInfo info = ControlMessages.Read(mutated.AsSpan(0, cut));
            // A pktinfo can only come from a message that was complete within the bytes given.
            Assert.True(!info.HasV4 || cut >= ControlMessages.Length(ControlMessages.InPacketInfoSize));
            Assert.True(!info.HasV6 || cut >= ControlMessages.Length(ControlMessages.In6PacketInfoSize));
        }, iter: 20_000);
    }

    [Fact]
    public void Every_encoded_source_decodes_back_to_itself()
    {
        Gen.Select(Gen.Bool, Gen.Byte.Array[16], Gen.Int[0, 1000]).Sample((v4, bytes, ifindex) =>
        {
            UdpEndPoint source = v4 ? UdpEndPoint.FromIPv4(bytes.AsSpan(0, 4), 0) : UdpEndPoint.FromIPv6(bytes, 0);
            byte[] control = new byte[ControlMessages.SendBufferSize];
            int length = ControlMessages.WriteSource(source, ReplyPolicy.InterfaceFor(source, ifindex), control);
            PacketInfo info = ControlMessages.Read(control.AsSpan(0, length));
            if (source.IsIPv4 || source.IsIPv4MappedToIPv6)
            {
                Assert.True(info.HasV4);
                Assert.True(info.V4SpecificDestination.Bytes.SequenceEqual(source.MapToIPv4().Bytes));
                Assert.Equal(0, info.V4InterfaceIndex);
            }
            else
            {
                Assert.True(info.HasV6);
                Assert.True(info.V6Destination.Bytes.SequenceEqual(source.Bytes));
                Assert.Equal(source.IsIPv6LinkLocal || source.IsUnspecified ? ifindex : 0, info.V6InterfaceIndex);
            }
        }, iter: 5_000);
    }
}
