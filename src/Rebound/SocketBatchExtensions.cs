using System.Net;
using System.Net.Sockets;
using Rebound.Interop;
using static Rebound.Interop.LinuxConstants;

namespace Rebound;

/// <summary>
/// Batched receive and send (recvmmsg/sendmmsg) on a plain UDP <see cref="Socket"/> the application owns: a connected
/// upstream socket of a proxy, a load generator's client. They use the same engine as
/// <see cref="ReboundSocket.TryReceiveBatch(DatagramBatch)"/> and <see cref="ReboundSocket.SendBatch(TransmitBatch)"/>,
/// so there is one partial-send policy and one EINTR rule for every batched call, in the spirit of quinn-udp's send and
/// receive on a borrowed socket.
/// </summary>
/// <remarks>
/// Such a socket has no pktinfo unless the caller enabled it, so its datagrams come with
/// <see cref="ReceivedDatagram.CanReply"/> false (<see cref="UnanswerableReason.MissingPacketInfo"/>): answer on a
/// connected socket with <see cref="TransmitBatch.Add(ReadOnlySpan{byte})"/>, or use a <see cref="ReboundSocket"/> to
/// reply from the asked address. Nothing is counted in the <c>"Rebound"</c> meter, which belongs to
/// <see cref="ReboundSocket"/>s. Linux only, like the rest of the library.
/// </remarks>
public static class SocketBatchExtensions
{
    /// <summary>
    /// Receives into <paramref name="batch"/> the datagrams already queued on <paramref name="socket"/> (one
    /// <c>recvmmsg</c>, never waiting); returns how many, 0 when none are.
    /// </summary>
    /// <exception cref="SocketException">The receive failed; on a connected socket <see cref="SocketError.ConnectionRefused"/>
    /// reports an ICMP port unreachable that an earlier datagram drew.</exception>
    /// <exception cref="ObjectDisposedException">The socket or the batch was disposed.</exception>
    public static int TryReceiveBatch(this Socket socket, DatagramBatch batch)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(batch);
        ThrowIfUnsupported();
        ushort port = socket.LocalEndPoint is IPEndPoint local ? (ushort)local.Port : (ushort)0;
        int result = LinuxBatchIO.TryReceive(socket.SafeHandle, batch, port, ControlMessages.ReceiveBufferSize, counters: null, out Errno error);
        if (result >= 0 || error == Errno.EAGAIN)
        {
            return Math.Max(result, 0);
        }

        ObjectDisposedException.ThrowIf(socket.SafeHandle.IsClosed, socket);
        throw error.ToException("recvmmsg");
    }

    /// <summary>
    /// Sends every datagram queued in <paramref name="batch"/> on <paramref name="socket"/> (one <c>sendmmsg</c>, more if
    /// the kernel takes only part), then clears the batch. Returns how many were sent.
    /// </summary>
    /// <remarks>
    /// The partial-send policy of <see cref="ReboundSocket.SendBatch(TransmitBatch)"/>: what the kernel did not take is
    /// sent again; a message it refuses is skipped and reported by <see cref="TransmitBatch.Error(int)"/> (on a connected
    /// socket, <see cref="SocketError.ConnectionRefused"/> there means an earlier datagram drew ICMP port unreachable);
    /// a full send buffer is waited out; EINTR is retried. Only errors about the socket itself throw.
    /// </remarks>
    /// <exception cref="SocketException">The socket is not usable (closed, not a socket).</exception>
    /// <exception cref="ObjectDisposedException">The socket or the batch was disposed.</exception>
    public static unsafe int SendBatch(this Socket socket, TransmitBatch batch)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(batch);
        ThrowIfUnsupported();
        try
        {
            int messages = batch.Encode(socket.AddressFamily == AddressFamily.InterNetwork ? AF_INET : AF_INET6);
            var sender = new LinuxBatchIO.SocketSender(socket);
            return LinuxBatchIO.SendAll(ref sender, batch.Headers, messages, batch.Order, batch.Errors, counters: null, runs: batch);
        }
        finally
        {
            batch.Clear();
        }
    }

    private static void ThrowIfUnsupported()
    {
        if (!PlatformSupport.HasPacketInfo)
        {
            throw new PlatformNotSupportedException(
                "Batched receive and send (recvmmsg/sendmmsg) on a Socket are written for 64-bit little-endian Linux only.");
        }
    }
}
