using System.Net;
using System.Net.Sockets;
using static Rebound.Tests.Sockets.LoopbackPeers;

namespace Rebound.Tests.Sockets;

/// <summary>The sync receive waits inside recvmsg on a blocking descriptor; Dispose and async use must not break it.</summary>
public sealed class BlockingReceiveTests
{
    [Fact]
    public void Dispose_wakes_a_receive_blocked_in_recvmsg()
    {
        ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0));
        Exception? caught = null;
        var receiver = new Thread(() =>
        {
            try
            {
                server.Receive(new byte[100]);
            }
            catch (Exception e)
            {
                caught = e;
            }
        });
        receiver.Start();
        Thread.Sleep(200);

        server.Dispose();

        Assert.True(receiver.Join(TimeSpan.FromSeconds(5)), "the blocked receive was not woken by Dispose");
        Assert.True(caught is ObjectDisposedException or SocketException, $"unexpected: {caught}");
    }

    [Fact]
    public async Task Sync_receive_still_waits_correctly_after_async_calls_made_the_descriptor_non_blocking()
    {
        using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0));
        using Socket client = ConnectedClient(AskedAddress, server.LocalEndPoint.Port);
        byte[] buffer = new byte[100];

        ValueTask<ReceivedDatagram> pending = server.ReceiveAsync(buffer);
        client.Send("one"u8);
        await pending;

        var later = Task.Run(() => server.Receive(buffer));
        await Task.Delay(100);
        Assert.False(later.IsCompleted);
        client.Send("two"u8);
        ReceivedDatagram second = await later.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(3, second.Length);
        Assert.True(second.CanReply);
    }

    [Fact]
    public void Dispose_wakes_a_batch_receive_blocked_in_recvmmsg()
    {
        ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0));
        using var batch = new DatagramBatch(8, 256);
        Exception? caught = null;
        var receiver = new Thread(() =>
        {
            try
            {
                server.ReceiveBatch(batch);
            }
            catch (Exception e)
            {
                caught = e;
            }
        });
        receiver.Start();
        Thread.Sleep(200);

        server.Dispose();

        Assert.True(receiver.Join(TimeSpan.FromSeconds(5)), "the blocked batch receive was not woken by Dispose");
        Assert.True(caught is ObjectDisposedException or SocketException, $"unexpected: {caught}");
    }

    [Fact]
    public async Task A_batch_receive_on_a_shut_down_socket_throws_instead_of_spinning()
    {
        using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0));
        using var batch = new DatagramBatch(8, 256);
        try
        {
            server.Socket.Shutdown(SocketShutdown.Receive);
        }
        catch (SocketException notConnected) when (notConnected.SocketErrorCode == SocketError.NotConnected)
        {
            // An unconnected UDP socket answers ENOTCONN, yet the kernel has marked it shut down for reading.
        }

        Task<int> receive = Task.Run(() => server.ReceiveBatch(batch));

        var e = await Assert.ThrowsAsync<SocketException>(() => receive.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(SocketError.Shutdown, e.SocketErrorCode);
    }

    [Fact]
    public void A_batch_receive_honours_the_receive_timeout()
    {
        using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0));
        using var batch = new DatagramBatch(8, 256);
        server.Socket.ReceiveTimeout = 100;

        SocketException e = Assert.Throws<SocketException>(() => server.ReceiveBatch(batch));
        Assert.Equal(SocketError.TimedOut, e.SocketErrorCode);
    }
}
