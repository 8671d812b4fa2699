using System.Net;
using System.Net.Sockets;
using CsCheck;
using Rebound.Interop;
using static Rebound.Tests.Interop.ControlMessageBytes;
using static Rebound.Tests.Sockets.LoopbackPeers;

namespace Rebound.Tests;

/// <summary>
/// <see cref="ReceivedDatagram.Create"/>: the public way to make a datagram for a handler's unit tests. It must say what
/// a real receive says (same reply source and interface), so a handler tested with it behaves the same in production.
/// </summary>
public sealed class ReceivedDatagramCreateTests
{
    [Fact]
    public void A_created_datagram_equals_what_a_real_socket_receives_for_the_same_addresses()
    {
        using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0));
        using Socket client = ConnectedClient(AskedAddress, server.LocalEndPoint.Port);
        client.Send("hello"u8);
        ReceivedDatagram received = server.Receive(new byte[100]);

        ReceivedDatagram created = ReceivedDatagram.Create(received.RemoteEndPoint, received.LocalEndPoint, 5, received.InterfaceIndex);

        Assert.Equal(received.RemoteEndPoint, created.RemoteEndPoint);
        Assert.Equal(received.LocalEndPoint, created.LocalEndPoint);
        Assert.Equal(received.ReplySource, created.ReplySource);
        Assert.Equal(received.InterfaceIndex, created.InterfaceIndex);
        Assert.Equal(received.ReplyInterfaceIndex, created.ReplyInterfaceIndex);
        Assert.Equal(received.Length, created.Length);
        Assert.True(created.CanReply);
    }

    [Fact]
    public void A_handler_can_be_unit_tested_with_a_created_datagram()
    {
        DatagramHandler handler = (request, reply, in datagram) =>
        {
            // Answers with the address the client asked, as a DNS server's "whoami" might.
            string text = datagram.LocalEndPoint.ToString("a", null);
            return System.Text.Encoding.ASCII.GetBytes(text, reply);
        };
        ReceivedDatagram datagram = ReceivedDatagram.Create(UdpEndPoint.Parse("192.0.2.3:5000"), UdpEndPoint.Parse("198.51.100.13:53"), 1);
        byte[] reply = new byte[64];

        int length = handler("?"u8, reply, datagram);

        Assert.Equal("198.51.100.13", System.Text.Encoding.ASCII.GetString(reply, 0, length));
    }

    [Fact]
    public void Link_local_and_multicast_follow_the_receive_rules()
    {
        ReceivedDatagram linkLocal = ReceivedDatagram.Create(UdpEndPoint.Parse("[fe80::2%3]:5000"), UdpEndPoint.Parse("[fe80::1]:53"), 1, interfaceIndex: 3);
        ReceivedDatagram multicast = ReceivedDatagram.Create(UdpEndPoint.Parse("[fe80::2%3]:5000"), UdpEndPoint.Parse("[ff02::fb]:5353"), 1, interfaceIndex: 3);

        Assert.Equal("[fe80::1%3]:53", linkLocal.ReplySource.ToString());
        Assert.Equal(3, linkLocal.ReplyInterfaceIndex);
        Assert.True(multicast.ReplySource.IsUnspecified);
        Assert.Equal(3, multicast.ReplyInterfaceIndex);
    }

    [Fact]
    public void Impossible_datagrams_are_refused()
    {
        Assert.Throws<ArgumentException>(() => ReceivedDatagram.Create(UdpEndPoint.Parse("192.0.2.3:68"), UdpEndPoint.Parse("255.255.255.255:67"), 1));
        Assert.Throws<ArgumentException>(() => ReceivedDatagram.Create(UdpEndPoint.Parse("192.0.2.3:68"), UdpEndPoint.Parse("[2001:db8::1]:67"), 1));
        Assert.False(ReceivedDatagram.Create(UdpEndPoint.Parse("192.0.2.3:1"), UdpEndPoint.Parse("192.0.2.1:2"), 1, unanswerable: UnanswerableReason.ControlDataTruncated).CanReply);
    }

    [Fact]
    public void Created_datagrams_match_the_decoder_on_real_shaped_pktinfo_bytes()
    {
        Gen.Select(Gen.Byte.Array[4], Gen.Byte.Array[4], Gen.Int[1, 1000], Gen.UShort).Sample((remote, local, ifindex, port) =>
        {
            var localAddress = new IPAddress(local);
            UdpEndPoint localEndPoint = UdpEndPoint.FromIPv4(local, 56789);
            if (localEndPoint.IsMulticast || localEndPoint.IsLimitedBroadcast)
            {
                return;
            }

            ReceivedDatagram decoded = DatagramDecoder.Decode(
                6, 0, SockAddrIn(new IPAddress(remote).ToString(), port), InPacketInfo(ifindex, localAddress.ToString(), localAddress.ToString()), 56789);
            ReceivedDatagram created = ReceivedDatagram.Create(UdpEndPoint.FromIPv4(remote, port), localEndPoint, 6, ifindex);

            Assert.Equal(decoded.RemoteEndPoint, created.RemoteEndPoint);
            Assert.Equal(decoded.LocalEndPoint, created.LocalEndPoint);
            Assert.Equal(decoded.ReplySource, created.ReplySource);
            Assert.Equal(decoded.ReplyInterfaceIndex, created.ReplyInterfaceIndex);
            Assert.Equal(decoded.InterfaceIndex, created.InterfaceIndex);
        });
    }

    [Fact]
    public void Missing_pktinfo_and_malformed_control_data_are_counted_apart()
    {
        var counters = new SocketCounters();
        counters.CountReceived(ReceivedDatagram.Create(UdpEndPoint.Parse("192.0.2.3:1"), UdpEndPoint.Parse("192.0.2.1:2"), 1, unanswerable: UnanswerableReason.MalformedControlData));
        counters.CountReceived(ReceivedDatagram.Create(UdpEndPoint.Parse("192.0.2.3:1"), UdpEndPoint.Parse("192.0.2.1:2"), 1, unanswerable: UnanswerableReason.MissingPacketInfo));
        counters.CountReceived(ReceivedDatagram.Create(UdpEndPoint.Parse("192.0.2.3:1"), UdpEndPoint.Parse("192.0.2.1:2"), 1, unanswerable: UnanswerableReason.MissingPacketInfo));

        ReboundStatistics stats = counters.Snapshot();

        Assert.Equal(1, stats.MalformedControlData);
        Assert.Equal(2, stats.MissingPacketInfo);
        Assert.Equal(3, stats.Received);
    }

    [Fact]
    public void Every_reason_has_a_public_description()
    {
        foreach (UnanswerableReason reason in Enum.GetValues<UnanswerableReason>())
        {
            Assert.False(string.IsNullOrWhiteSpace(reason.Describe()));
        }

        Assert.Contains("MSG_CTRUNC", UnanswerableReason.ControlDataTruncated.Describe(), StringComparison.Ordinal);
    }
}
