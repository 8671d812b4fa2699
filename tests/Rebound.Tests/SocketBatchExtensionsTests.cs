using System.Net;
using System.Net.Sockets;
using Rebound.Tests.Support;

namespace Rebound.Tests;

/// <summary>
/// <see cref="SocketBatchExtensions"/>: the library's batched receive and send on a plain connected socket (how the
/// proxy talks to its backends and the bench client to its server), with the one partial-send policy. Real loopback
/// sockets throughout.
/// </summary>
public sealed class SocketBatchExtensionsTests
{
    [Fact]
    public void A_connected_socket_sends_and_receives_batches_in_order()
    {
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using Socket client = Connected((IPEndPoint)peer.LocalEndPoint!);
        using var transmit = new TransmitBatch(8, 64);
        using var received = new DatagramBatch(8, 64);

        for (byte i = 0; i < 5; i++)
        {
            transmit.Add([i, i]);
        }

        Assert.Equal(5, client.SendBatch(transmit));
        Assert.Equal(0, transmit.Count);
        for (byte i = 0; i < 5; i++)
        {
            Assert.Equal(new byte[] { i, i }, Loopback.TryReceive(peer, TimeSpan.FromSeconds(2)));
        }

        // The peer answers three times; one recvmmsg on the connected socket takes them all once they are queued.
        for (byte i = 0; i < 3; i++)
        {
            peer.SendTo(new[] { (byte)(10 + i) }, client.LocalEndPoint!);
        }

        Assert.True(client.Poll(TimeSpan.FromSeconds(2), SelectMode.SelectRead));
        int count = 0;
        for (int attempt = 0; attempt < 100 && count < 3; attempt++)
        {
            int n = client.TryReceiveBatch(received);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(new[] { (byte)(10 + count) }, received.Payload(i).ToArray());
                Assert.Equal(UdpEndPoint.FromIPEndPoint((IPEndPoint)peer.LocalEndPoint!), received.Datagram(i).RemoteEndPoint);
                Assert.False(received.Datagram(i).CanReply); // no pktinfo on a plain socket: never answered from a guess
                count++;
            }

            if (count < 3)
            {
                client.Poll(TimeSpan.FromMilliseconds(100), SelectMode.SelectRead);
            }
        }

        Assert.Equal(3, count);
        Assert.Equal(0, client.TryReceiveBatch(received)); // nothing queued: 0 at once, no wait, no exception
    }

    [Fact]
    public void After_port_unreachable_the_refused_datagram_is_reported_and_the_rest_still_go()
    {
        // A backend that was down (ICMP port unreachable pending on the connected socket) and is back. sendmmsg fails its
        // first message with ECONNREFUSED; the old proxy engine stopped there and dropped the whole batch.
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var backend = (IPEndPoint)probe.LocalEndPoint!;
        probe.Dispose();                                             // the port is now closed
        using Socket client = Connected(backend);
        client.Send("lost"u8);
        Assert.True(client.Poll(TimeSpan.FromSeconds(5), SelectMode.SelectError), "no ICMP port unreachable came back");

        using var revived = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        revived.Bind(backend);
        using var transmit = new TransmitBatch(4, 16);
        transmit.Add("one"u8);
        transmit.Add("two"u8);
        transmit.Add("three"u8);

        Assert.Equal(2, client.SendBatch(transmit));
        Assert.Equal(SocketError.ConnectionRefused, transmit.Error(0));
        Assert.Equal(SocketError.Success, transmit.Error(1));
        Assert.Equal(SocketError.Success, transmit.Error(2));
        Assert.Equal("two"u8.ToArray(), Loopback.TryReceive(revived, TimeSpan.FromSeconds(2)));
        Assert.Equal("three"u8.ToArray(), Loopback.TryReceive(revived, TimeSpan.FromSeconds(2)));

        // A single plain sendmmsg, as the old engine made, gets the error and sends nothing of the batch.
        using Socket naive = Connected(new IPEndPoint(IPAddress.Loopback, ClosedPort()));
        naive.Send("lost"u8);
        Assert.True(naive.Poll(TimeSpan.FromSeconds(5), SelectMode.SelectError));
        SocketException refused = Assert.Throws<SocketException>(() => naive.Send("one"u8));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public void A_receive_on_a_connected_socket_reports_port_unreachable_as_connection_refused()
    {
        using Socket client = Connected(new IPEndPoint(IPAddress.Loopback, ClosedPort()));
        using var received = new DatagramBatch(4, 64);
        client.Send("anyone?"u8);
        Assert.True(client.Poll(TimeSpan.FromSeconds(5), SelectMode.SelectError), "no ICMP port unreachable came back");

        SocketException e = Assert.Throws<SocketException>(() => client.TryReceiveBatch(received));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
        Assert.Equal(0, client.TryReceiveBatch(received)); // the error was reported once; the socket is usable again
    }

    [Fact]
    public void A_disposed_batch_or_a_closed_socket_throws_the_documented_exceptions()
    {
        using Socket client = Connected(new IPEndPoint(IPAddress.Loopback, ClosedPort()));
        var transmit = new TransmitBatch(2, 16);
        transmit.Dispose();
        Assert.Throws<ObjectDisposedException>(() => client.SendBatch(transmit));

        using var received = new DatagramBatch(2, 16);
        client.Dispose();
        Assert.Throws<ObjectDisposedException>(() => client.TryReceiveBatch(received));
    }

    private static Socket Connected(IPEndPoint peer)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Connect(peer);
        return socket;
    }

    private static int ClosedPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
