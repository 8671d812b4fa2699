using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Rebound.Interop;

namespace Rebound;

public sealed partial class ReboundSocket
{
    /// <summary>
    /// Receives one datagram into <paramref name="buffer"/>. Completes synchronously when one is queued; otherwise waits
    /// without holding a thread. Allocates nothing in steady state.
    /// </summary>
    /// <remarks>
    /// A receive that had to wait completes on the socket's own I/O thread (started on the first wait), and the code
    /// after the <c>await</c> runs there, without a hop to the thread pool: an async receive/reply loop then costs
    /// about what a synchronous one does. Such a loop should not block; use <c>Task.Run</c> (or
    /// <see cref="ReboundServer"/>) for slow work. Dispose fails pending receives with
    /// <see cref="ObjectDisposedException"/>.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ValueTask<ReceivedDatagram> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<ReceivedDatagram>(cancellationToken);
        }

        if (_perAddress is not null)
        {
            return _perAddress.TryReceive(buffer.Span, out ReceivedDatagram queued)
                ? new ValueTask<ReceivedDatagram>(queued)
                : _perAddress.ReceiveAsync(buffer, cancellationToken);
        }

        return TryReceive(buffer.Span, out ReceivedDatagram datagram)
            ? new ValueTask<ReceivedDatagram>(datagram)
            : WaitAndReceiveAsync(buffer, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReceivedDatagram> WaitAndReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Completes on the I/O thread once a datagram is queued (or the socket is shut down or disposed).
            await _io.WaitReadableAsync(cancellationToken).ConfigureAwait(false);
            if (TryReceive(buffer.Span, out ReceivedDatagram datagram))
            {
                return datagram;
            }
        }
    }

    /// <summary>
    /// Sends <paramref name="payload"/> to the sender of <paramref name="request"/>, from the address the request was
    /// sent to. UDP sends rarely wait; when the send buffer is full this yields until there is room.
    /// </summary>
    /// <exception cref="InvalidOperationException">The request's destination is unknown (<see cref="ReceivedDatagram.CanReply"/> is false).</exception>
    /// <exception cref="SourceAddressUnavailableException">The local address has gone away; the socket still works.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ValueTask ReplyAsync(in ReceivedDatagram request, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        ThrowIfUnanswerable(request);
        if (_perAddress is not null)
        {
            // A per-address send waits (briefly, blocking) only when the send buffer is full.
            ReplyPerAddress(request, payload.Span);
            return ValueTask.CompletedTask;
        }

        int interfaceIndex = request.ReplyInterfaceIndex;
        Errno errno = TrySendCore(payload.Span, request.RemoteEndPoint, request.ReplySource, interfaceIndex);
        return errno == Errno.None
            ? ValueTask.CompletedTask
            : WaitAndSendAsync(payload, request.RemoteEndPoint, request.ReplySource, interfaceIndex, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WaitAndSendAsync(
        ReadOnlyMemory<byte> payload,
        UdpEndPoint destination,
        UdpEndPoint source,
        int interfaceIndex,
        CancellationToken cancellationToken)
    {
        // The runtime has no zero-cost "wait until writable" for a datagram socket, and a full UDP send buffer drains in
        // microseconds; a short delay keeps this rare path simple.
        do
        {
            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        }
        while (TrySendCore(payload.Span, destination, source, interfaceIndex) != Errno.None);
    }
}
