using System.Net;
using System.Net.Sockets;
using System.Text;
using Rebound.Tests.Support;

namespace Rebound.Tests;

/// <summary>The batch path on real loopback sockets: recvmmsg in, sendmmsg out, each reply from its own request's destination.</summary>
public sealed class BatchReplyTests
{
    private const int SolIPv6 = 41;
    private const int Ipv6RecvPacketInfo = 49;

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    public void Every_client_of_one_batch_gets_its_reply_from_the_address_it_asked(string bindAddress)
    {
        using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Parse(bindAddress), 0));
        server.Socket.ReceiveTimeout = 2000;
        int port = server.LocalEndPoint.Port;
        List<(Socket Client, string Asked)> clients =
        [
            (Loopback.Client("127.0.0.1", "127.0.0.2", port), "127.0.0.2"),
            (Loopback.Client("127.0.0.1", "127.0.0.3", port), "127.0.0.3"),
        ];
        if (server.IsDualStack)
        {
            clients.Add((Loopback.Client("::1", "::1", port), "::1"));
        }

        try
        {
            foreach ((Socket client, string asked) in clients)
            {
                client.Send(Encoding.ASCII.GetBytes("to " + asked));
            }

            using var batch = new DatagramBatch(capacity: 8, bufferSize: 512);
            var destinations = new List<string>();
            int calls = Loopback.ReceiveBatches(server, batch, clients.Count, b =>
            {
                for (int i = 0; i < b.Count; i++)
                {
                    destinations.Add(b.Datagram(i).LocalEndPoint.MapToIPv4().ToString("a", null));
                }

                Loopback.EchoAll(b);
                Assert.Equal(b.Count, server.ReplyBatch(b));
            });

            Assert.Equal(1, calls); // all were queued: one recvmmsg took them all
            Assert.Equal(clients.Select(c => c.Asked).Order(), destinations.Order());
            foreach ((Socket client, string asked) in clients)
            {
                byte[]? reply = Loopback.TryReceive(client, TimeSpan.FromSeconds(2));
                Assert.Equal("to " + asked, reply is null ? "(no reply)" : Encoding.ASCII.GetString(reply));
            }

            Assert.Equal(clients.Count, server.Statistics.Sent);
        }
        finally
        {
            clients.ForEach(c => c.Client.Dispose());
        }
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    public void The_naive_path_loses_the_same_replies(string bindAddress)
    {
        // Same setup with recvfrom/sendto: the kernel answers from 127.0.0.1 and the connected clients drop it.
        IPAddress address = IPAddress.Parse(bindAddress);
        using var server = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            server.DualMode = true;
        }

        server.Bind(new IPEndPoint(address, 0));
        int port = ((IPEndPoint)server.LocalEndPoint!).Port;
        using Socket toTwo = Loopback.Client("127.0.0.1", "127.0.0.2", port);
        using Socket toThree = Loopback.Client("127.0.0.1", "127.0.0.3", port);
        toTwo.Send("to 127.0.0.2"u8);
        toThree.Send("to 127.0.0.3"u8);

        var buffer = new byte[512];
        for (int i = 0; i < 2; i++)
        {
            EndPoint sender = new IPEndPoint(address, 0);
            int length = server.ReceiveFrom(buffer, ref sender);
            server.SendTo(buffer.AsSpan(0, length), sender);
        }

        Assert.Null(Loopback.TryReceive(toTwo, Loopback.NoReplyWait));
        Assert.Null(Loopback.TryReceive(toThree, Loopback.NoReplyWait));
    }

    [Fact]
    public void Items_without_pktinfo_are_not_answered_and_are_counted_while_the_rest_are()
    {
        // A dual-stack socket with IPV6_RECVPKTINFO switched off: IPv4 requests still carry IP_PKTINFO, IPv6 ones carry
        // nothing, so one real batch holds both kinds.
        using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        server.Socket.ReceiveTimeout = 2000;
        Loopback.SetOption(server.Socket, SolIPv6, Ipv6RecvPacketInfo, 0);
        int port = server.LocalEndPoint.Port;
        using Socket v4 = Loopback.Client("127.0.0.1", "127.0.0.2", port);
        using Socket v6 = Loopback.Client("::1", "::1", port);
        v4.Send("v4"u8);
        v6.Send("v6"u8);

        using var batch = new DatagramBatch(4, 256);
        Loopback.ReceiveBatches(server, batch, 2, b =>
        {
            Loopback.EchoAll(b); // asks to answer everything; the unanswerable one must still be skipped
            server.ReplyBatch(b);
        });

        Assert.Equal("v4", Encoding.ASCII.GetString(Loopback.TryReceive(v4, TimeSpan.FromSeconds(2)) ?? []));
        Assert.Null(Loopback.TryReceive(v6, Loopback.NoReplyWait));
        ReboundStatistics stats = server.Statistics;
        Assert.Equal(1, stats.MissingPacketInfo);
        Assert.Equal(0, stats.MalformedControlData);
        Assert.Equal(1, stats.Sent);
    }

    [Fact]
    public void Items_whose_control_data_was_truncated_are_not_answered_and_are_counted()
    {
        // 48 control bytes hold an IPv6 request's IPV6_PKTINFO (40) but not an IPv4 request's IP_PKTINFO + IPV6_PKTINFO
        // (72) on a dual-stack socket: the kernel sets MSG_CTRUNC on the IPv4 items only.
        using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0), new ReboundSocketOptions { ControlBufferSize = 48 });
        server.Socket.ReceiveTimeout = 2000;
        int port = server.LocalEndPoint.Port;
        using Socket v4a = Loopback.Client("127.0.0.1", "127.0.0.2", port);
        using Socket v6 = Loopback.Client("::1", "::1", port);
        using Socket v4b = Loopback.Client("127.0.0.1", "127.0.0.3", port);
        v4a.Send("a"u8);
        v6.Send("b"u8);
        v4b.Send("c"u8);

        using var batch = new DatagramBatch(4, 256);
        var reasons = new List<UnanswerableReason>();
        Loopback.ReceiveBatches(server, batch, 3, b =>
        {
            for (int i = 0; i < b.Count; i++)
            {
                reasons.Add(b.Datagram(i).Unanswerable);
            }

            Loopback.EchoAll(b);
            server.ReplyBatch(b);
        });

        Assert.Equal(2, reasons.Count(r => r == UnanswerableReason.ControlDataTruncated));
        Assert.Equal("b", Encoding.ASCII.GetString(Loopback.TryReceive(v6, TimeSpan.FromSeconds(2)) ?? []));
        Assert.Null(Loopback.TryReceive(v4a, Loopback.NoReplyWait));
        Assert.Null(Loopback.TryReceive(v4b, TimeSpan.FromMilliseconds(50)));
        Assert.Equal(2, server.Statistics.ControlDataTruncated);
        Assert.Equal(1, server.Statistics.Sent);
    }

    [Fact]
    public void A_reply_whose_source_vanished_fails_alone_and_the_rest_of_the_batch_is_resent()
    {
        // A real partial sendmmsg: the kernel sends items 0-1, stops at item 2 (its source 192.0.2.1 is not an address of
        // this host, as after the address was removed) and returns 2; the library skips item 2 and sends 3-5.
        using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0));
        server.Socket.ReceiveTimeout = 2000;
        int port = server.LocalEndPoint.Port;
        Socket[] clients = Enumerable.Range(0, 6).Select(_ => Loopback.Client("127.0.0.1", "127.0.0.2", port)).ToArray();
        try
        {
            for (int i = 0; i < clients.Length; i++)
            {
                clients[i].Send([(byte)i]);
            }

            using var batch = new DatagramBatch(8, 64);
            Loopback.WaitReadable(server.Socket);
            Assert.Equal(6, server.TryReceiveBatch(batch));
            Loopback.EchoAll(batch);
            int vanished = Array.FindIndex(clients, c => ((IPEndPoint)c.LocalEndPoint!).Port == batch.Datagram(2).RemoteEndPoint.Port);
            ref ReceivedDatagram item = ref batch.Slot(2);
            UdpEndPoint gone = UdpEndPoint.Parse("192.0.2.1:0").WithPort(item.ReplySource.Port);
            item = new ReceivedDatagram(item.Length, item.RemoteEndPoint, gone, gone, item.InterfaceIndex, false, UnanswerableReason.None);

            Assert.Equal(5, server.ReplyBatch(batch));

            // The kernel's word for "no such local address" depends on the route lookup (EINVAL or ENETUNREACH here).
            Assert.Contains(batch.ReplyError(2), new[] { SocketError.InvalidArgument, SocketError.AddressNotAvailable, SocketError.NetworkUnreachable });
            Assert.Equal(SocketError.Success, batch.ReplyError(3));
            for (int i = 0; i < clients.Length; i++)
            {
                byte[]? reply = Loopback.TryReceive(clients[i], i == vanished ? Loopback.NoReplyWait : TimeSpan.FromSeconds(2));
                Assert.Equal(i == vanished ? null : new[] { (byte)i }, reply);
            }

            ReboundStatistics stats = server.Statistics;
            Assert.Equal(1, stats.SourceUnavailable);
            Assert.Equal(5, stats.Sent);
            Assert.Equal(0, server.ReplyBatch(batch)); // replies are forgotten once sent
        }
        finally
        {
            Array.ForEach(clients, c => c.Dispose());
        }
    }

    [Fact]
    public async Task Async_batch_receive_waits_for_a_datagram_and_honours_cancellation()
    {
        using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0));
        using var batch = new DatagramBatch(4, 64);
        using var cancel = new CancellationTokenSource();
        Task<int> pending = server.ReceiveBatchAsync(batch, cancel.Token).AsTask();
        Assert.False(pending.IsCompleted);
        using Socket client = Loopback.Client("127.0.0.1", "127.0.0.5", server.LocalEndPoint.Port);
        client.Send("x"u8);
        Assert.Equal(1, await pending.WaitAsync(TimeSpan.FromSeconds(2)));
        Assert.Equal("127.0.0.5", batch.Datagram(0).LocalEndPoint.ToString("a", null));

        Task<int> waiting = server.ReceiveBatchAsync(batch, cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }

    [Fact]
    public void Accessors_refuse_items_that_were_not_received_and_lengths_that_do_not_fit()
    {
        using var batch = new DatagramBatch(2, 16);
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.Payload(0));
        batch.SetReceived(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.SetReplyLength(0, 17));
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.ReplyBuffer(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DatagramBatch(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DatagramBatch(DatagramBatch.MaxCapacity + 1));
        batch.Dispose();
        Assert.Throws<ObjectDisposedException>(() => batch.Payload(0));
    }
}
