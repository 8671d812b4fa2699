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
}
