using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Rebound;

/// <summary>
/// A multi-core UDP request/response server: <see cref="ReboundServerOptions.SocketCount"/> sockets share one address
/// through SO_REUSEPORT, each served by its own thread that receives a batch (recvmmsg), runs the
/// <see cref="DatagramHandler"/> on every request, and sends the replies (sendmmsg), each from the address its request
/// was sent to. Threads share nothing, so the hot path takes no lock and allocates nothing.
/// </summary>
/// <example>
/// <code>
/// await using var server = ReboundServer.Start("[::]:5353", (request, reply, in datagram) =>
/// {
///     request.CopyTo(reply);
///     return request.Length;
/// });
/// </code>
/// </example>
public sealed class ReboundServer : IDisposable, IAsyncDisposable
{
    /// <summary>
    /// What a <see cref="DatagramHandler"/> returns to answer with a zero-byte datagram (0 means "no reply").
    /// </summary>
    public const int EmptyReply = int.MinValue;

    private static readonly TimeSpan DisposeWait = TimeSpan.FromSeconds(5);

    private readonly ReboundSocket[] _sockets;
    private readonly DatagramHandler _handler;
    private readonly ReboundServerOptions _options;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _threadCount;
    private int _running;
    private int _stopRequested;
    private volatile bool _stopping;

    private ReboundServer(ReboundSocket[] sockets, DatagramHandler handler, ReboundServerOptions options)
    {
        _sockets = sockets;
        _handler = handler;
        _options = options;
        _threadCount = options.SocketCount;
        LocalEndPoint = sockets[0].LocalEndPoint;
    }

    /// <summary>The address and port the server listens on (the actual port when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>
    /// How many threads serve the address: each with its own SO_REUSEPORT socket under packet info, all sharing the
    /// per-address sockets under <see cref="SourceAddressStrategy.PerAddress"/>.
    /// </summary>
    public int SocketCount => _threadCount;

    /// <summary>How the server's replies get their source address.</summary>
    public SourceAddressStrategy Strategy => _sockets[0].Strategy;

    /// <summary>What all the server's sockets have received, sent and refused so far.</summary>
    public ReboundStatistics Statistics
    {
        get
        {
            ReboundStatistics total = default;
            foreach (ReboundSocket socket in _sockets)
            {
                total += socket.Statistics;
            }

            return total;
        }
    }

    /// <summary>Completes when every serving thread has ended (after <see cref="StopAsync"/>, or if all fail).</summary>
    public Task Completion => _stopped.Task;

    /// <summary>Binds the sockets and starts one serving thread per socket.</summary>
    /// <exception cref="SocketException">The address is in use, not local, or the port needs privileges.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static ReboundServer Start(IPEndPoint localEndPoint, DatagramHandler handler, ReboundServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        ArgumentNullException.ThrowIfNull(handler);
        options ??= new ReboundServerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SocketCount, 1, nameof(options.SocketCount));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.SocketCount, 1024, nameof(options.SocketCount));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1, nameof(options.BatchSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.BatchSize, DatagramBatch.MaxCapacity, nameof(options.BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BufferSize, 1, nameof(options.BufferSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.BufferSize, DatagramBatch.MaxBufferSize, nameof(options.BufferSize));

        MulticastGroup[] groups = [.. options.MulticastGroups];

        // Per-address: one set of sockets (one per local address) that every thread receives from.
        bool perAddress = PlatformSupport.Resolve(options.Socket.Strategy) == SourceAddressStrategy.PerAddress;
        ReboundSocket[] sockets = BindGroup(localEndPoint, perAddress ? 1 : options.SocketCount, options.Socket);
        try
        {
            foreach (ReboundSocket socket in sockets)
            {
                foreach (MulticastGroup group in groups)
                {
                    socket.JoinMulticastGroup(group);
                }
            }
        }
        catch
        {
            DisposeAll(sockets);
            throw;
        }

        var server = new ReboundServer(sockets, handler, options);
        server.StartThreads();
        return server;
    }

    /// <summary>
    /// Binds <paramref name="count"/> sockets to one address as an SO_REUSEPORT group. Unless the options ask to share
    /// the port (<see cref="ReboundSocketOptions.ReusePort"/>), the first socket binds without SO_REUSEPORT, so the bind
    /// fails with "address in use" when anything holds the address (a second server included), and opens the group
    /// only once it owns the port. Nothing stays open when a bind fails.
    /// </summary>
    internal static ReboundSocket[] BindGroup(IPEndPoint localEndPoint, int count, ReboundSocketOptions options)
    {
        ReboundSocketOptions first = options.Copy();
        ReboundSocketOptions others = options.Copy();
        others.ReusePort = true;
        var sockets = new ReboundSocket[count];
        try
        {
            sockets[0] = ReboundSocket.Bind(localEndPoint, first);
            if (count > 1 && !first.ReusePort)
            {
                sockets[0].OpenPortGroup();
            }

            // The first socket settled the port (it may have been 0); the others join it.
            var joined = new IPEndPoint(localEndPoint.Address, sockets[0].LocalEndPoint.Port);
            for (int i = 1; i < count; i++)
            {
                sockets[i] = ReboundSocket.Bind(joined, others);
            }

            return sockets;
        }
        catch
        {
            DisposeAll(sockets);
            throw;
        }
    }

    private static void DisposeAll(ReboundSocket?[] sockets)
    {
        foreach (ReboundSocket? socket in sockets)
        {
            socket?.Dispose();
        }
    }

    /// <summary>Binds to an endpoint written as text (<c>0.0.0.0:53</c>, <c>[::]:53</c>) and starts serving.</summary>
    public static ReboundServer Start(string localEndPoint, DatagramHandler handler, ReboundServerOptions? options = null) =>
        Start(IPEndPoint.Parse(localEndPoint), handler, options);

    private void StartThreads()
    {
        _running = _threadCount;
        for (int i = 0; i < _threadCount; i++)
        {
            var thread = new Thread(Serve)
            {
                IsBackground = true,
                Name = $"rebound {LocalEndPoint} #{i}",
            };
            thread.Start(i);
        }
    }

    private void Serve(object? state)
    {
        int index = (int)state!;
        ReboundSocket socket = _sockets[index % _sockets.Length];

        // The kernel gives a broadcast or multicast datagram to every socket of the group: only the first answers it.
        // (Per-address sockets are bound to unicast addresses, so they never see one.)
        bool answersGroups = index == 0;
        try
        {
            using var batch = new DatagramBatch(_options.BatchSize, _options.BufferSize);
            while (!_stopping)
            {
                if (!TryReceive(socket, batch))
                {
                    continue;
                }

                int replies = Answer(socket, batch, answersGroups);
                if (socket.ReplyBatch(batch) < replies)
                {
                    ReportReplyErrors(batch);
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // Stopped without waiting (StopAsync cancelled): the socket was closed under the loop.
        }
        catch (Exception e)
        {
            // Only errors about the socket itself reach here (per-datagram ones are counted and skipped): this
            // thread cannot go on, and says why unless the server is stopping anyway.
            if (!_stopping)
            {
                Report(e);
            }
        }
        finally
        {
            if (Interlocked.Decrement(ref _running) == 0)
            {
                _stopped.TrySetResult();
            }
        }
    }

    /// <summary>Receives a batch, or waits for one; false when there is nothing to answer yet.</summary>
    private bool TryReceive(ReboundSocket socket, DatagramBatch batch)
    {
        try
        {
            // Blocks inside recvmmsg; Stop's Shutdown wakes it with a SocketException that ends the thread.
            socket.ReceiveBatch(batch);
            return !_stopping;
        }
        catch (SocketException e) when (!_stopping)
        {
            // Receive errors are about one moment (ENOMEM, a pending ICMP error), not the socket: report and go on,
            // pausing so that a persistent one cannot spin the thread.
            Report(e);
            Thread.Sleep(1);
        }

        return false;
    }

    /// <summary>Runs the handler on every answerable datagram of the batch; returns how many replies it set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Answer(ReboundSocket socket, DatagramBatch batch, bool answersGroups)
    {
        int replies = 0;
        for (int i = 0; i < batch.Count; i++)
        {
            ref readonly ReceivedDatagram datagram = ref batch.Datagram(i);
            if (!datagram.CanReply || datagram.IsTruncated || (datagram.IsBroadcastOrMulticast && !answersGroups))
            {
                continue;
            }

            Span<byte> reply = batch.ReplyBuffer(i);
            int length;
            try
            {
                length = _handler(batch.Payload(i), reply, in datagram);
            }
            catch (Exception e)
            {
                socket.CountHandlerError();
                Report(e);
                continue;
            }

            if (length > reply.Length)
            {
                socket.CountHandlerError();
                Report(new InvalidOperationException($"The handler returned a reply length of {length} bytes; the reply buffer holds {reply.Length}."));
            }
            else if (length > 0)
            {
                batch.SetReplyLength(i, length);
                replies++;
            }
            else if (length == EmptyReply)
            {
                batch.SetReply(i, []);
                replies++;
            }
        }

        return replies;
    }

    /// <summary>
    /// A reply the kernel refused (no route to the client, a firewall, a vanished address) costs that reply only: it is
    /// counted in the statistics, and reported here so the application can log it.
    /// </summary>
    private void ReportReplyErrors(DatagramBatch batch)
    {
        for (int i = 0; i < batch.Count; i++)
        {
            SocketError error = batch.ReplyError(i);
            if (error != SocketError.Success)
            {
                Report(new SocketException((int)error, $"the reply to {batch.Datagram(i).RemoteEndPoint} failed: {error}"));
            }
        }
    }

    private void Report(Exception e)
    {
        try
        {
            _options.OnError?.Invoke(e);
        }
        catch (Exception)
        {
            // The error callback must not take the serving thread down.
        }
    }

    /// <summary>
    /// Stops receiving, lets every thread finish answering the batch it holds, then closes the sockets. If
    /// <paramref name="cancellationToken"/> fires first, the sockets are closed at once and unsent replies are lost.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        RequestStop();
        try
        {
            await _stopped.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            CloseSockets();
        }
    }

    private void RequestStop()
    {
        if (Interlocked.Exchange(ref _stopRequested, 1) != 0)
        {
            return;
        }

        _stopping = true;
        foreach (ReboundSocket socket in _sockets)
        {
            socket.ShutdownReceive();
        }
    }

    private void CloseSockets()
    {
        foreach (ReboundSocket socket in _sockets)
        {
            socket.Dispose();
        }
    }

    /// <summary>Stops as <see cref="StopAsync"/> does, waiting up to five seconds for the threads.</summary>
    public void Dispose()
    {
        RequestStop();
        _stopped.Task.Wait(DisposeWait);
        CloseSockets();
    }

    /// <inheritdoc cref="Dispose"/>
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(DisposeWait);
        try
        {
            await StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
