using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Rebound.PerAddress;

/// <summary>
/// The per-address sockets that have a datagram queued, in the order they became readable. A receiver takes one, reads
/// from it, and re-arms it; a socket is in the queue at most once, so the queue never holds more entries than sockets.
/// </summary>
internal sealed class ReadySockets : IDisposable
{
    private readonly ConcurrentQueue<AddressSocket> _queue = new();
    private readonly SemaphoreSlim _count = new(0);
    private volatile bool _shutDown;

    /// <summary>True once <see cref="ShutDown"/> ran: receivers stop waiting.</summary>
    public bool IsShutDown => _shutDown;

    public void Add(AddressSocket socket)
    {
        _queue.Enqueue(socket);
        _count.Release();
    }

    /// <summary>Takes a readable socket, waiting up to <paramref name="timeout"/> (infinite: -1 ms).</summary>
    /// <exception cref="SocketException">Timed out (<see cref="SocketError.TimedOut"/>) or shut down (<see cref="SocketError.Shutdown"/>).</exception>
    public AddressSocket Take(TimeSpan timeout)
    {
        while (true)
        {
            ThrowIfShutDown();
            if (!_count.Wait(timeout))
            {
                throw new SocketException((int)SocketError.TimedOut);
            }

            if (TryDequeue(out AddressSocket? socket))
            {
                return socket;
            }
        }
    }

    /// <summary>Takes a readable socket, waiting asynchronously (allocates only when it has to wait).</summary>
    public async ValueTask<AddressSocket> TakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ThrowIfShutDown();
            if (!_count.Wait(0, CancellationToken.None))
            {
                await _count.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            if (TryDequeue(out AddressSocket? socket))
            {
                return socket;
            }
        }
    }

    /// <summary>Takes a readable socket if one is queued.</summary>
    public bool TryTake(out AddressSocket? socket)
    {
        socket = null;
        return !_shutDown && _count.Wait(0) && TryDequeue(out socket);
    }

    private bool TryDequeue([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out AddressSocket? socket)
    {
        if (_queue.TryDequeue(out socket))
        {
            return true;
        }

        // Only ShutDown releases without enqueueing.
        ThrowIfShutDown();
        return false;
    }

    private void ThrowIfShutDown()
    {
        if (_shutDown)
        {
            throw new SocketException((int)SocketError.Shutdown);
        }
    }

    /// <summary>Wakes every waiting receiver with <see cref="SocketError.Shutdown"/>, for good.</summary>
    public void ShutDown()
    {
        _shutDown = true;
        _count.Release(1024);
    }

    public void Dispose()
    {
        ShutDown();
    }
}
