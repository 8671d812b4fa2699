using System.Net;
using System.Net.Sockets;
using static Rebound.Tests.Sockets.LoopbackPeers;

namespace Rebound.Tests.Sockets;

/// <summary>
/// Async receives that have to wait are served by the socket's own I/O thread (poll), not the runtime's socket engine:
/// the code after the await runs on that thread instead of hopping to the thread pool, a waiting loop allocates
/// nothing per datagram, and Dispose, cancellation and several waiters still behave.
/// </summary>
public sealed class AsyncWaitTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task A_waiting_receive_continues_on_the_sockets_io_thread_where_the_runtime_hops_to_the_thread_pool()
    {
        await using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0));
        using Socket client = ConnectedClient(AskedAddress, server.LocalEndPoint.Port);
        Task<(bool Pool, string? Name)> rebound = Task.Run(async () =>
        {
            await server.ReceiveAsync(new byte[100]).ConfigureAwait(false);
            return (Thread.CurrentThread.IsThreadPoolThread, Thread.CurrentThread.Name);
        });

        using Socket naive = NaiveServer(IPAddress.Any);
        Task<bool> runtime = Task.Run(async () =>
        {
            await naive.ReceiveFromAsync(new byte[100], new IPEndPoint(IPAddress.Any, 0)).ConfigureAwait(false);
            return Thread.CurrentThread.IsThreadPoolThread;
        });

        await Task.Delay(100);
        client.Send("hello"u8);
        using Socket naiveClient = ConnectedClient(IPAddress.Loopback, ((IPEndPoint)naive.LocalEndPoint!).Port);
        naiveClient.Send("hello"u8);

        (bool pool, string? name) = await rebound.WaitAsync(Wait);
        Assert.False(pool);
        Assert.StartsWith("rebound io", name);
        bool runtimeOnPool = await runtime.WaitAsync(Wait);
        if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") != "1")
        {
            Assert.True(runtimeOnPool, "the runtime's engine (without the process-wide switch) continues on the thread pool");
        }
    }

    [Fact]
    public async Task An_async_echo_loop_that_waits_for_every_datagram_allocates_nothing_per_datagram()
    {
        const int Datagrams = 300;
        await using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0));
        using Socket client = ConnectedClient(AskedAddress, server.LocalEndPoint.Port);
        client.ReceiveTimeout = 5000;
        var counted = new TaskCompletionSource<(long Bytes, int Threads)>(TaskCreationOptions.RunContinuationsAsynchronously);

        async Task Serve()
        {
            Memory<byte> buffer = new byte[2048];
            long before = 0;
            int thread = 0;
            int measuredFrom = -1;
            bool oneThread = true;
            for (int i = 0; i < Datagrams + 50; i++)
            {
                ReceivedDatagram request = await server.ReceiveAsync(buffer).ConfigureAwait(false);
                if (measuredFrom < 0 && Thread.CurrentThread.Name?.StartsWith("rebound io", StringComparison.Ordinal) == true && i >= 10)
                {
                    // Once a wait has moved the loop to the I/O thread it stays there: its own counter sees everything.
                    measuredFrom = i;
                    thread = Environment.CurrentManagedThreadId;
                    before = GC.GetAllocatedBytesForCurrentThread();
                }

                oneThread &= measuredFrom < 0 || thread == Environment.CurrentManagedThreadId;
                await server.ReplyAsync(request, buffer[..request.Length]).ConfigureAwait(false);
            }

            counted.SetResult(measuredFrom < 0 ? (-1, 0) : (GC.GetAllocatedBytesForCurrentThread() - before, oneThread ? 1 : 2));
        }

        Task serving = Task.Run(Serve);
        byte[] reply = new byte[64];
        for (int i = 0; i < Datagrams + 50; i++)
        {
            // Closed loop, one datagram in flight: the server finds its queue empty and waits every time.
            client.Send(new byte[64]);
            Assert.Equal(64, client.Receive(reply));
        }

        (long bytes, int threads) = await counted.Task.WaitAsync(Wait);
        await serving;
        Assert.True(bytes >= 0, "the loop never waited on the I/O thread");
        Assert.Equal(1, threads);
        Assert.Equal(0, bytes);
    }

    [Fact]
    public async Task Dispose_fails_a_waiting_async_receive()
    {
        ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0));
        ValueTask<ReceivedDatagram> pending = server.ReceiveAsync(new byte[100]);
        await Task.Delay(100);
        Assert.False(pending.IsCompleted);

        server.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => pending.AsTask().WaitAsync(Wait));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await server.ReceiveAsync(new byte[100]));
    }

    [Fact]
    public async Task Dispose_from_the_io_thread_itself_does_not_hang()
    {
        ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0));
        using Socket client = ConnectedClient(AskedAddress, server.LocalEndPoint.Port);
        Task disposed = Task.Run(async () =>
        {
            await server.ReceiveAsync(new byte[100]).ConfigureAwait(false);
            server.Dispose();   // runs on the I/O thread, which must let the socket close
        });
        await Task.Delay(100);
        client.Send("bye"u8);

        await disposed.WaitAsync(Wait);
        Assert.Throws<ObjectDisposedException>(() => server.TryReceive(new byte[100], out _));
    }

    [Fact]
    public async Task Two_waiting_receivers_each_get_a_datagram_and_a_cancelled_one_leaves_the_other_waiting()
    {
        await using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0));
        using Socket client = ConnectedClient(AskedAddress, server.LocalEndPoint.Port);
        using var cancel = new CancellationTokenSource();
        Task<ReceivedDatagram> cancelled = server.ReceiveAsync(new byte[100], cancel.Token).AsTask();
        Task<ReceivedDatagram> first = server.ReceiveAsync(new byte[100]).AsTask();
        Task<ReceivedDatagram> second = server.ReceiveAsync(new byte[100]).AsTask();
        await Task.Delay(100);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Wait));
        Assert.False(first.IsCompleted || second.IsCompleted);

        client.Send("one"u8);
        await Task.WhenAny(first, second).WaitAsync(Wait);
        client.Send("two"u8);
        ReceivedDatagram[] both = await Task.WhenAll(first, second).WaitAsync(Wait);

        Assert.All(both, d => Assert.Equal(3, d.Length));
        Assert.All(both, d => Assert.True(d.CanReply));
    }
}
