using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using static Rebound.Tests.Sockets.LoopbackPeers;

namespace Rebound.Tests.Sockets;

/// <summary>Steady-state receive→reply allocates nothing per datagram.</summary>
public sealed class AllocationTests
{
    private const int Datagrams = 10_000;
    private const int WarmUp = 100;

    [Fact]
    public void Sync_receive_and_reply_allocate_zero_bytes_over_ten_thousand_datagrams()
    {
        using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        using Socket client = ConnectedClient(AskedAddress, server.LocalEndPoint.Port);
        byte[] request = new byte[64];
        byte[] reply = new byte[64];
        byte[] buffer = new byte[2048];

        // The loop runs in its own fully optimized method: what is counted is the library's allocations, not the JIT's
        // one-time work on a test loop (on-stack replacement of a long-running tier-0 loop allocates once).
        RoundTrips(WarmUp, server, client, request, reply, buffer);
        long before = GC.GetAllocatedBytesForCurrentThread();
        RoundTrips(Datagrams, server, client, request, reply, buffer);

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(Datagrams + WarmUp, server.Statistics.Sent);
    }

    [Fact]
    public async Task Async_receive_and_reply_allocate_zero_bytes_per_datagram_when_data_is_queued()
    {
        await using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0));
        using Socket client = ConnectedClient(AskedAddress, server.LocalEndPoint.Port);
        byte[] request = new byte[64];
        byte[] reply = new byte[64];
        Memory<byte> buffer = new byte[2048];

        long before = 0;
        int thread = Environment.CurrentManagedThreadId;
        for (int i = -1; i < Datagrams; i++)
        {
            if (i == 0)
            {
                before = GC.GetAllocatedBytesForCurrentThread();
            }

            client.Send(request);
            while (server.Socket.Available == 0)
            {
                // Loopback delivery can be deferred to softirq under load; wait so the receive completes in place.
                Thread.SpinWait(20);
            }

            ValueTask<ReceivedDatagram> receive = server.ReceiveAsync(buffer);
            ReceivedDatagram datagram = await receive;
            ValueTask send = server.ReplyAsync(datagram, buffer[..datagram.Length]);
            if (!send.IsCompletedSuccessfully)
            {
                await send;
            }

            client.Receive(reply);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(thread, Environment.CurrentManagedThreadId);   // every await completed in place: one thread's count
        Assert.Equal(0, allocated);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void RoundTrips(int count, ReboundSocket server, Socket client, byte[] request, byte[] reply, byte[] buffer)
    {
        for (int i = 0; i < count; i++)
        {
            RoundTrip(server, client, request, reply, buffer);
        }
    }

    private static void RoundTrip(ReboundSocket server, Socket client, byte[] request, byte[] reply, byte[] buffer)
    {
        client.Send(request);
        ReceivedDatagram datagram = server.Receive(buffer);
        server.Reply(datagram, buffer.AsSpan(0, datagram.Length));
        client.Receive(reply);
    }
}
