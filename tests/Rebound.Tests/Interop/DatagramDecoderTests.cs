using Rebound.Interop;
using static Rebound.Tests.Interop.ControlMessageBytes;

namespace Rebound.Tests.Interop;

public sealed class DatagramDecoderTests
{
    private const int MsgTrunc = 0x20;
    private const int MsgCtrunc = 0x8;

    [Fact]
    public void Ipv4_request_is_answered_from_its_destination_with_ifindex_zero()
    {
        ReceivedDatagram d = Decode(0, SockAddrIn("192.0.2.3", 45167), InPacketInfo(2, "198.51.100.13", "198.51.100.13"));

        Assert.True(d.CanReply);
        Assert.Equal("192.0.2.3:45167", d.RemoteEndPoint.ToString());
        Assert.Equal("198.51.100.13:56789", d.LocalEndPoint.ToString());
        Assert.Equal("198.51.100.13:56789", d.ReplySource.ToString());
        Assert.Equal(2, d.InterfaceIndex);
        Assert.Equal(0, d.ReplyInterfaceIndex);
    }

    [Fact]
    public void Broadcast_request_is_answered_from_the_interface_unicast_address_spec_dst()
    {
        ReceivedDatagram d = Decode(0, SockAddrIn("192.0.2.3", 68), InPacketInfo(4, "192.0.2.1", "192.0.2.255"));

        Assert.Equal("192.0.2.255:56789", d.LocalEndPoint.ToString());
        Assert.Equal("192.0.2.1:56789", d.ReplySource.ToString());
    }

    [Fact]
    public void Dual_stack_ipv4_request_prefers_ip_pktinfo_and_stays_v4_mapped()
    {
        byte[] control = [.. In6PacketInfo("::ffff:192.0.2.255", 4), .. InPacketInfo(4, "192.0.2.1", "192.0.2.255")];

        ReceivedDatagram d = Decode(0, SockAddrIn6("::ffff:192.0.2.3", 5000), control);

        Assert.True(d.RemoteEndPoint.IsIPv4MappedToIPv6);
        Assert.Equal("[::ffff:192.0.2.1]:56789", d.ReplySource.ToString());
        Assert.Equal(0, d.ReplyInterfaceIndex);
    }

    [Fact]
    public void Dual_stack_ipv4_request_with_only_ipv6_pktinfo_falls_back_to_the_mapped_address()
    {
        ReceivedDatagram d = Decode(0, SockAddrIn6("::ffff:192.0.2.3", 5000), In6PacketInfo("::ffff:198.51.100.13", 2));

        Assert.True(d.CanReply);
        Assert.Equal("[::ffff:198.51.100.13]:56789", d.ReplySource.ToString());
    }

    [Fact]
    public void Link_local_request_is_answered_with_the_arrival_interface()
    {
        ReceivedDatagram d = Decode(0, SockAddrIn6("fe80::2", 5000, scope: 7), In6PacketInfo("fe80::1", 7));

        Assert.Equal("[fe80::1%7]:56789", d.ReplySource.ToString());
        Assert.Equal(7, d.ReplyInterfaceIndex);
    }

    [Fact]
    public void Global_ipv6_request_is_answered_with_ifindex_zero()
    {
        ReceivedDatagram d = Decode(0, SockAddrIn6("2001:db8:2::3", 5000), In6PacketInfo("2001:db8:100::13", 2));

        Assert.Equal("[2001:db8:100::13]:56789", d.ReplySource.ToString());
        Assert.Equal(0, d.ReplyInterfaceIndex);
    }

    [Fact]
    public void Ipv6_multicast_request_is_answered_from_unspecified_on_the_arrival_interface()
    {
        ReceivedDatagram d = Decode(0, SockAddrIn6("fe80::2", 5000, 3), In6PacketInfo("ff02::fb", 3));

        Assert.True(d.ReplySource.IsUnspecified);
        Assert.Equal(3, d.ReplyInterfaceIndex);
    }

    [Fact]
    public void Control_truncation_makes_the_datagram_unanswerable_even_with_a_pktinfo()
    {
        ReceivedDatagram d = Decode(MsgCtrunc, SockAddrIn("192.0.2.3", 1), InPacketInfo(2, "198.51.100.13", "198.51.100.13"));

        Assert.False(d.CanReply);
        Assert.Equal(UnanswerableReason.ControlDataTruncated, d.Unanswerable);
    }

    [Fact]
    public void Missing_pktinfo_makes_the_datagram_unanswerable()
    {
        Assert.Equal(UnanswerableReason.MissingPacketInfo, Decode(0, SockAddrIn("192.0.2.3", 1), []).Unanswerable);
        Assert.Equal(UnanswerableReason.MissingPacketInfo, Decode(0, SockAddrIn6("2001:db8::3", 1), InPacketInfo(1, "192.0.2.1", "192.0.2.1")).Unanswerable);
    }

    [Fact]
    public void Malformed_control_data_makes_the_datagram_unanswerable()
    {
        byte[] control = [.. InPacketInfo(2, "198.51.100.13", "198.51.100.13"), .. Message(41, 50, new byte[4])];

        Assert.Equal(UnanswerableReason.MalformedControlData, Decode(0, SockAddrIn("192.0.2.3", 1), control).Unanswerable);
    }

    [Fact]
    public void Payload_truncation_is_flagged_but_does_not_block_a_reply()
    {
        ReceivedDatagram d = Decode(MsgTrunc, SockAddrIn("192.0.2.3", 1), InPacketInfo(2, "198.51.100.13", "198.51.100.13"));

        Assert.True(d.IsTruncated);
        Assert.True(d.CanReply);
    }

    private static ReceivedDatagram Decode(int flags, byte[] name, byte[] control) =>
        DatagramDecoder.Decode(6, flags, name, control, 56789);
}
