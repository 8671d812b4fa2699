using System.Net;
using System.Net.Sockets;
using Rebound.Tests.Support;

namespace Rebound.Tests;

/// <summary>
/// <see cref="TransmitBatch"/> + <see cref="ReboundSocket.SendBatch"/>: the public batched send where each datagram
/// carries destination, source and payload. Real loopback sockets: clients bound to 127.0.0.1 and connected to
/// 127.0.0.2/127.0.0.3 accept a datagram only from the address they asked, which a plain sendto() does not give them.
/// </summary>
public sealed class TransmitBatchTests
{
    [Fact]
    public void Each_datagram_leaves_from_its_own_source_where_plain_sendto_leaves_from_the_routes_choice()
    {
        using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0));
        int port = server.LocalEndPoint.Port;
        using Socket asksTwo = Loopback.Client("127.0.0.1", "127.0.0.2", port);
        using Socket asksThree = Loopback.Client("127.0.0.1", "127.0.0.3", port);
        using var batch = new TransmitBatch(4, 64);

        batch.Add(Peer(asksTwo), UdpEndPoint.Parse("127.0.0.2:0"), "to two"u8);
        batch.Add(Peer(asksThree), UdpEndPoint.Parse("127.0.0.3:0"), "to three"u8);
        Assert.Equal(2, batch.Count);
        Assert.Equal(2, server.SendBatch(batch));

        Assert.Equal("to two"u8.ToArray(), Loopback.TryReceive(asksTwo, TimeSpan.FromSeconds(2)));
        Assert.Equal("to three"u8.ToArray(), Loopback.TryReceive(asksThree, TimeSpan.FromSeconds(2)));
        Assert.Equal(0, batch.Count);
        Assert.Equal(2, server.Statistics.Sent);   // counted like every other send, in the "Rebound" meter too

        // The same datagram from a plain socket on the same wildcard address: the kernel picks 127.0.0.1, and the
        // connected client drops it.
        using var plain = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        plain.Bind(new IPEndPoint(IPAddress.Any, 0));
        plain.SendTo("to two"u8, (IPEndPoint)asksTwo.LocalEndPoint!);
        Assert.Null(Loopback.TryReceive(asksTwo, Loopback.NoReplyWait));
    }

    [Fact]
    public void A_refused_datagram_is_skipped_and_reported_and_the_others_still_go()
    {
        using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0));
        int port = server.LocalEndPoint.Port;
        Socket[] clients = Enumerable.Range(0, 4).Select(_ => Loopback.Client("127.0.0.1", "127.0.0.2", port)).ToArray();
        try
        {
            using var batch = new TransmitBatch(8, 64);
            for (int i = 0; i < clients.Length; i++)
            {
                // Datagram 1 claims 192.0.2.1, not an address of this host (as after the address was removed).
                batch.Add(Peer(clients[i]), UdpEndPoint.Parse(i == 1 ? "192.0.2.1:0" : "127.0.0.2:0"), [(byte)i]);
            }

            Assert.Equal(3, server.SendBatch(batch));

            Assert.Contains(batch.Error(1), new[] { SocketError.InvalidArgument, SocketError.AddressNotAvailable, SocketError.NetworkUnreachable });
            Assert.Equal(SocketError.Success, batch.Error(2));
            for (int i = 0; i < clients.Length; i++)
            {
                Assert.Equal(i == 1 ? null : new[] { (byte)i }, Loopback.TryReceive(clients[i], i == 1 ? Loopback.NoReplyWait : TimeSpan.FromSeconds(2)));
            }

            Assert.Equal(1, server.Statistics.SourceUnavailable);
            Assert.Equal(3, server.Statistics.Sent);
        }
        finally
        {
            Array.ForEach(clients, c => c.Dispose());
        }
    }

    [Fact]
    public void Replies_added_from_received_datagrams_leave_from_each_requests_destination()
    {
        using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        server.Socket.ReceiveTimeout = 2000;
        int port = server.LocalEndPoint.Port;
        using Socket v4 = Loopback.Client("127.0.0.1", "127.0.0.3", port);
        using Socket v6 = Loopback.Client("::1", "::1", port);
        v4.Send("a"u8);
        v6.Send("b"u8);
        using var batch = new TransmitBatch(4, 64);
        byte[] buffer = new byte[64];
        for (int i = 0; i < 2; i++)
        {
            ReceivedDatagram request = server.Receive(buffer);
            batch.AddReply(request, buffer.AsSpan(0, request.Length));   // copied: the buffer is reused at once
        }

        Assert.Equal(2, server.SendBatch(batch));

        Assert.Equal("a"u8.ToArray(), Loopback.TryReceive(v4, TimeSpan.FromSeconds(2)));
        Assert.Equal("b"u8.ToArray(), Loopback.TryReceive(v6, TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public void A_run_to_one_peer_shares_its_address_and_a_new_peer_or_source_ends_the_run()
    {
        using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0));
        int port = server.LocalEndPoint.Port;
        using Socket asksTwo = Loopback.Client("127.0.0.1", "127.0.0.2", port);
        using Socket asksThree = Loopback.Client("127.0.0.1", "127.0.0.3", port);
        UdpEndPoint two = UdpEndPoint.Parse("127.0.0.2:0"), three = UdpEndPoint.Parse("127.0.0.3:0");
        using var batch = new TransmitBatch(8, 64);

        // Runs of one peer and source (written once per run), then a change of peer and source, then of source only:
        // "x" goes to the client that asked 127.0.0.3 from 127.0.0.2, so that client must drop it. Reusing the previous
        // address for any message to the same peer would send "x" from 127.0.0.3, and the client would take it.
        batch.Add(Peer(asksTwo), two, "a0"u8);
        batch.Add(Peer(asksTwo), two, "a1"u8);
        batch.Add(Peer(asksThree), three, "b2"u8);
        batch.Add(Peer(asksThree), three, "b3"u8);
        batch.Add(Peer(asksThree), two, "x"u8);
        batch.Add(Peer(asksTwo), two, "a5"u8);
        Assert.Equal(6, server.SendBatch(batch));

        string[] toTwo = [.. Enumerable.Range(0, 3).Select(_ => Text(Loopback.TryReceive(asksTwo, TimeSpan.FromSeconds(2))))];
        string[] toThree = [.. Enumerable.Range(0, 2).Select(_ => Text(Loopback.TryReceive(asksThree, TimeSpan.FromSeconds(2))))];
        Assert.Equal(["a0", "a1", "a5"], toTwo);
        Assert.Equal(["b2", "b3"], toThree);
        Assert.Null(Loopback.TryReceive(asksThree, Loopback.NoReplyWait));
        Assert.Null(Loopback.TryReceive(asksTwo, Loopback.NoReplyWait));

        static string Text(byte[]? bytes) => bytes is null ? "(none)" : System.Text.Encoding.ASCII.GetString(bytes);
    }

    [Fact]
    public void Misuse_is_refused_with_clear_exceptions()
    {
        using var batch = new TransmitBatch(1, 8);
        UdpEndPoint somewhere = UdpEndPoint.Parse("127.0.0.1:9");
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.Add(somewhere, somewhere, new byte[9]));
        batch.Add(somewhere, somewhere, new byte[8]);
        Assert.Throws<InvalidOperationException>(() => batch.Add(somewhere, somewhere, new byte[1]));
        ReceivedDatagram unanswerable = ReceivedDatagram.Create(somewhere, somewhere, 1, unanswerable: UnanswerableReason.ControlDataTruncated);
        batch.Clear();
        Assert.Throws<InvalidOperationException>(() => batch.AddReply(unanswerable, new byte[1]));
        batch.Dispose();
        Assert.Throws<ObjectDisposedException>(() => batch.Add(somewhere, somewhere, new byte[1]));
    }

    [Fact]
    public void Sending_batches_allocates_nothing()
    {
        using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0));
        using Socket client = Loopback.Client("127.0.0.1", "127.0.0.2", server.LocalEndPoint.Port);
        client.ReceiveBufferSize = 1 << 20;
        UdpEndPoint to = Peer(client);
        UdpEndPoint from = UdpEndPoint.Parse("127.0.0.2:0");
        using var batch = new TransmitBatch(8, 64);
        byte[] payload = new byte[64];
        byte[] received = new byte[64];

        long before = 0;
        for (int round = -1; round < 200; round++)
        {
            if (round == 0)
            {
                before = GC.GetAllocatedBytesForCurrentThread();
            }

            for (int i = 0; i < 8; i++)
            {
                batch.Add(to, from, payload);
            }

            server.SendBatch(batch);
            for (int i = 0; i < 8; i++)
            {
                client.Receive(received);
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(201 * 8, server.Statistics.Sent);
    }

    private static UdpEndPoint Peer(Socket client) => UdpEndPoint.FromIPEndPoint((IPEndPoint)client.LocalEndPoint!);
}
