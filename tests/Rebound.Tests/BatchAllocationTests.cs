using System.Net;
using System.Net.Sockets;
using Rebound.Tests.Support;

namespace Rebound.Tests;

/// <summary>Steady state allocates nothing per datagram on the batch path and inside <see cref="ReboundServer"/>.</summary>
public sealed class BatchAllocationTests
{
    private const int Datagrams = 10_000;
    private const int PerBatch = 16;

    [Fact]
    public void Batch_receive_and_reply_allocate_zero_bytes_over_ten_thousand_datagrams()
    {
        using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        server.Socket.ReceiveTimeout = 2000;
        using Socket client = Loopback.Client("127.0.0.1", "127.0.0.2", server.LocalEndPoint.Port);
        using var batch = new DatagramBatch(PerBatch, 512);
        byte[] request = new byte[64];
        byte[] reply = new byte[512];

        RoundTrip(server, client, batch, request, reply); // warm up: JIT, first-call paths
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Datagrams / PerBatch; i++)
        {
            RoundTrip(server, client, batch, request, reply);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(Datagrams + PerBatch, server.Statistics.Sent);
    }

    [Fact]
    public void ReboundServer_threads_allocate_zero_bytes_over_ten_thousand_datagrams()
    {
        // The handler runs on the server's own thread, so it can read that thread's allocation counter: the difference
        // between request 500 and request 10,500 covers receive, handler dispatch and reply on the serving thread.
        const int WarmUp = 500;
        var probe = new long[2];
        int handled = 0;
        using ReboundServer server = ReboundServer.Start(
            new IPEndPoint(IPAddress.IPv6Any, 0),
            (request, reply, in datagram) =>
            {
                int n = ++handled; // one serving thread: no race
                if (n == WarmUp)
                {
                    probe[0] = GC.GetAllocatedBytesForCurrentThread();
                }
                else if (n == WarmUp + Datagrams)
                {
                    probe[1] = GC.GetAllocatedBytesForCurrentThread();
                }

                request.CopyTo(reply);
                return request.Length;
            },
            new ReboundServerOptions { SocketCount = 1, BatchSize = PerBatch });
        using Socket client = Loopback.Client("127.0.0.1", "127.0.0.2", server.LocalEndPoint.Port);
        byte[] request = new byte[64];
        byte[] reply = new byte[512];
        for (int i = 0; i < (WarmUp + Datagrams) / 4; i++)
        {
            for (int k = 0; k < 4; k++)
            {
                client.Send(request);
            }

            for (int k = 0; k < 4; k++)
            {
                Assert.Equal(64, client.Receive(reply));
            }
        }

        Assert.Equal(WarmUp + Datagrams, Volatile.Read(ref handled));
        Assert.NotEqual(0, probe[1]);
        Assert.Equal(0, probe[1] - probe[0]);
    }

    private static void RoundTrip(ReboundSocket server, Socket client, DatagramBatch batch, byte[] request, byte[] reply)
    {
        for (int k = 0; k < PerBatch; k++)
        {
            client.Send(request);
        }

        int received = 0;
        while (received < PerBatch)
        {
            received += server.ReceiveBatch(batch);
            Loopback.EchoAll(batch);
            server.ReplyBatch(batch);
        }

        for (int k = 0; k < PerBatch; k++)
        {
            client.Receive(reply);
        }
    }
}
