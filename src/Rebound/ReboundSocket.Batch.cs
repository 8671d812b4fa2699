using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Rebound.Interop;

namespace Rebound;

public sealed partial class ReboundSocket
{
    /// <summary>
    /// Receives into <paramref name="batch"/> every queued datagram it has room for (one <c>recvmmsg</c>), waiting until at
    /// least one arrives or <see cref="Socket.ReceiveTimeout"/> passes (then <see cref="SocketException"/> with
    /// <see cref="SocketError.TimedOut"/>). Returns <see cref="DatagramBatch.Count"/>. Allocates nothing.
    /// </summary>
    public int ReceiveBatch(DatagramBatch batch)
    {
        if (_perAddress is not null)
        {
            return ReceiveBatchPerAddress(batch, wait: true);
        }

        while (true)
        {
            // As in Receive: on a blocking descriptor recvmmsg itself waits for the first datagram (MSG_WAITFORONE).
            bool block = _socket.Blocking;
            int count = ReceiveBatchCore(batch, block);
            if (count > 0)
            {
                return count;
            }

            if (block)
            {
                throw new SocketException((int)SocketError.TimedOut);
            }

            WaitForDatagram();
        }
    }

    /// <summary>Receives into <paramref name="batch"/> the datagrams already queued; returns 0 at once when there are none.</summary>
    public int TryReceiveBatch(DatagramBatch batch) =>
        _perAddress is not null ? ReceiveBatchPerAddress(batch, wait: false) : ReceiveBatchCore(batch, block: false);

    /// <summary>One recvmmsg; returns the count, or 0 for EAGAIN. A shut-down or disposed socket throws.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int ReceiveBatchCore(DatagramBatch batch, bool block)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ThrowIfDisposed();
        int result = LinuxBatchIO.TryReceive(_handle, batch, _port, _controlSize, _counters, out Errno error, block);
        if (result >= 0 || error == Errno.EAGAIN)
        {
            return Math.Max(result, 0);
        }

        ThrowIfDisposed();
        throw error.ToException("recvmmsg");
    }

    /// <summary>
    /// Receives a batch like <see cref="ReceiveBatch(DatagramBatch)"/>; when nothing is queued, waits without holding a
    /// thread, as <see cref="ReceiveAsync(Memory{byte}, CancellationToken)"/> does (on the socket's own I/O thread).
    /// </summary>
    public ValueTask<int> ReceiveBatchAsync(DatagramBatch batch, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        if (_perAddress is not null)
        {
            int queued = ReceiveBatchPerAddress(batch, wait: false);
            return queued > 0 ? new ValueTask<int>(queued) : ReceiveBatchPerAddressAsync(batch, cancellationToken);
        }

        int count = TryReceiveBatch(batch);
        return count > 0 ? new ValueTask<int>(count) : WaitAndReceiveBatchAsync(batch, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> WaitAndReceiveBatchAsync(DatagramBatch batch, CancellationToken cancellationToken)
    {
        while (true)
        {
            await _io.WaitReadableAsync(cancellationToken).ConfigureAwait(false);
            int count = TryReceiveBatch(batch);
            if (count > 0)
            {
                return count;
            }
        }
    }

    /// <summary>
    /// Sends the replies set in <paramref name="batch"/> (one <c>sendmmsg</c>, more if the kernel takes only part), each
    /// from the address its request was sent to. Items without a reply, and items that must not be answered
    /// (<see cref="ReceivedDatagram.CanReply"/> false), are skipped. A reply the kernel refuses (for example because its
    /// source address has vanished) is counted in <see cref="Statistics"/>, reported by
    /// <see cref="DatagramBatch.ReplyError(int)"/>, and does not stop the others. Returns how many replies were sent.
    /// </summary>
    /// <remarks>Waits (blocking) while the send buffer is full, which on UDP lasts microseconds.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int ReplyBatch(DatagramBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        try
        {
            int sent = SendCore(batch.PrepareReplies(), batch.SendOrder, batch.ReplyErrors);
            batch.ClearReplies();
            return sent;
        }
        finally
        {
            batch.ReleaseHeldSocket();   // per-address: the address socket the batch came from may be read again
        }
    }

    /// <summary>
    /// Sends every datagram queued in <paramref name="batch"/> (one <c>sendmmsg</c>, more if the kernel takes only part),
    /// each to its destination from its source address, then clears the batch. Returns how many were sent.
    /// </summary>
    /// <remarks>
    /// The partial-send policy, the same for every batched send: messages the kernel did not take are sent again; a
    /// message the kernel refuses (its source address vanished, a route is missing, it is too large) is skipped, counted
    /// in <see cref="Statistics"/>, and reported by <see cref="TransmitBatch.Error(int)"/>, and the others still go; while
    /// the send buffer is full the call waits (on UDP that lasts microseconds); an interrupted call (EINTR) is retried.
    /// Only errors about the socket itself (closed, not a socket) throw.
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The socket or the batch was disposed.</exception>
    public int SendBatch(TransmitBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return SendCore(batch, batch.Order, batch.Errors);
    }

    /// <summary>The one batched-send engine: encode, then sendmmsg until every message is sent or refused.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe int SendCore(TransmitBatch batch, ReadOnlySpan<int> order, Span<Errno> errors)
    {
        ThrowIfDisposed();
        if (_perAddress is not null)
        {
            return SendCorePerAddress(batch, order, errors);
        }

        try
        {
            int messages = batch.Encode(_family);
            var sender = new LinuxBatchIO.SocketSender(_socket);
            int sent = LinuxBatchIO.SendAll(ref sender, batch.Headers, messages, order, errors, _counters, runs: batch);

            // Disposed while sending: the refusals were the shutdown (EPIPE), not the datagrams.
            ThrowIfDisposed();
            return sent;
        }
        catch (SocketException)
        {
            ThrowIfDisposed();
            throw;
        }
        finally
        {
            batch.Clear();
        }
    }

    /// <summary>Blocks until a datagram is queued (without consuming it), the receive timeout passes, or the socket is shut down.</summary>
    internal void WaitForDatagram() =>

        // A zero-byte peek honours ReceiveTimeout and is woken by Dispose and Shutdown, which a raw poll() would not be.
        _socket.Receive(Span<byte>.Empty, SocketFlags.Peek);

    /// <summary>Counts a request a server's handler failed on.</summary>
    internal void CountHandlerError() => _counters.CountHandlerError();
}
