using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Rebound.Interop;

/// <summary>
/// recvmmsg and sendmmsg over a <see cref="DatagramBatch"/>'s preallocated structures. Each datagram is decoded and
/// encoded with the same codec as the single-datagram path (<see cref="DatagramDecoder"/>, <see cref="ControlMessages"/>,
/// <see cref="SocketAddressCodec"/>). Sends never block (MSG_DONTWAIT); a receive blocks only when asked to.
/// </summary>
internal static unsafe class LinuxBatchIO
{
    /// <summary>
    /// Receives up to <see cref="DatagramBatch.Capacity"/> queued datagrams. Returns how many, or -1 with the reason in
    /// <paramref name="error"/> (<see cref="Errno.ESHUTDOWN"/> when the socket was shut down or disposed under a blocked
    /// call: the kernel then reports an empty message). With
    /// <paramref name="block"/> a blocking socket waits for the first datagram inside recvmmsg (MSG_WAITFORONE), saving
    /// the separate wait call; a non-blocking socket answers EAGAIN as usual.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int TryReceive(SafeSocketHandle socket, DatagramBatch batch, ushort localPort, int controlSize, SocketCounters? counters, out Errno error, bool block = false)
    {
        batch.ThrowIfDisposed();
        error = Errno.None;
        controlSize = Math.Min(controlSize, ControlMessages.ReceiveBufferSize);
        MultiMessageHeader* headers = batch.ReceiveHeaders;
        for (int i = 0; i < batch.Capacity; i++)
        {
            headers[i].Header.NameLength = SocketAddressCodec.MaxSize;
            headers[i].Header.ControlLength = (nuint)controlSize;
            headers[i].Header.Flags = 0;
            headers[i].Length = 0;
        }

        int received;
        do
        {
            received = Libc.ReceiveMessages(socket, headers, (uint)batch.Capacity, block ? LinuxConstants.MSG_WAITFORONE : LinuxConstants.MSG_DONTWAIT, null);
        }
        while (Libc.Interrupted(received));

        if (received < 0)
        {
            error = Libc.LastError;
            batch.SetReceived(0);
            return -1;
        }

        // A socket shut down for reading (how ReboundServer wakes its threads) reports an empty message with no sender
        // address instead of blocking; it is not a datagram, so it ends the batch.
        for (int i = 0; i < received; i++)
        {
            if (headers[i].Header.NameLength == 0)
            {
                received = i;
                break;
            }
        }

        if (received == 0)
        {
            error = Errno.ESHUTDOWN;
            return -1;
        }

        batch.SetReceived(received);
        for (int i = 0; i < received; i++)
        {
            ref MessageHeader header = ref headers[i].Header;
            batch.Slot(i) = DatagramDecoder.Decode(
                Math.Min((int)headers[i].Length, batch.BufferSize),
                header.Flags,
                new ReadOnlySpan<byte>(header.Name, (int)header.NameLength),
                new ReadOnlySpan<byte>(header.Control, (int)header.ControlLength),
                localPort);
            counters?.CountProblems(batch.Slot(i));
        }

        counters?.CountReceived(received);
        return received;
    }

    /// <summary>
    /// Sends <paramref name="count"/> prepared messages, resuming after a partial sendmmsg and skipping (and recording in
    /// <paramref name="errors"/>, by item) a message the kernel refuses, so the rest still go out. Waits through EAGAIN.
    /// With <paramref name="runs"/> (the batch the messages were encoded from), a message may carry a segmented run of
    /// datagrams: a run the kernel refuses is sent again one datagram at a time, so each gets its own verdict.
    /// Returns how many datagrams were sent; throws only for errors about the socket itself (closed, not a socket).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int SendAll<TSender>(ref TSender sender, MultiMessageHeader* messages, int count, ReadOnlySpan<int> order, Span<Errno> errors, SocketCounters? counters, TransmitBatch? runs = null)
        where TSender : struct, IMessageSender
    {
        int next = 0;
        int datagram = 0;   // the first datagram of message `next`
        int tooLarge = -1;  // the first datagram of a run refused with EINVAL/EMSGSIZE, until its own verdict
        int sent = 0;
        while (next < count)
        {
            int result = sender.Send(messages + next, count - next, out Errno errno);
            if (result > 0)
            {
                int datagrams = result;
                if (runs is not null)
                {
                    datagrams = 0;
                    for (int k = next; k < next + result; k++)
                    {
                        datagrams += runs.RunLength(k);
                    }
                }

                if (tooLarge >= datagram && tooLarge < datagram + datagrams)
                {
                    runs!.SegmentTooLarge(tooLarge);   // refused as a run, taken one by one: the segments were too large
                    tooLarge = -1;
                }

                next += result;
                datagram += datagrams;
                sent += datagrams;
                continue;
            }

            if (result < 0 && errno == Errno.EINTR)
            {
                continue;
            }

            if (result == 0 || errno == Errno.EAGAIN)
            {
                sender.WaitUntilWritable();
                continue;
            }

            if (errno is Errno.EBADF or Errno.ENOTSOCK or Errno.EFAULT)
            {
                throw errno.ToException("sendmmsg");
            }

            if (runs is not null && runs.RunLength(next) > 1)
            {
                // A segmented run was refused. EIO (no checksum offload on the route, before Linux 6.11; IPsec) and
                // EINVAL/EMSGSIZE (segments over the route's MTU, or a vanished source) may be about the segmentation: the
                // whole run goes again one datagram at a time. Any other error is the socket's or the first datagram's (a
                // pending ECONNREFUSED is consumed by the refused send): that datagram gets it, as without segmentation,
                // and the rest of the run goes again one by one. What follows the run is segmented as usual.
                int end = datagram + runs.RunLength(next);
                if (errno is Errno.EIO or Errno.EINVAL or Errno.EMSGSIZE)
                {
                    if (errno == Errno.EIO)
                    {
                        runs.Segmentation = false;
                    }
                    else
                    {
                        tooLarge = datagram;
                    }

                    count = runs.Unsegment(next, datagram, end);
                    continue;
                }

                counters?.CountSendError(errno);
                errors[order[datagram]] = errno;
                count = runs.Unsegment(next, ++datagram, end);
                continue;
            }

            // sendmmsg reports an error only when the first message fails: that one is skipped, the others resent.
            if (datagram == tooLarge)
            {
                tooLarge = -1;   // refused alone too: the run's refusal was about the datagram, not its size
            }

            counters?.CountSendError(errno);
            errors[order[datagram]] = errno;
            next++;
            datagram++;
        }

        counters?.CountSent(sent);
        return sent;
    }

    /// <summary>One sendmmsg on a real socket.</summary>
    internal readonly struct SocketSender(Socket socket) : IMessageSender
    {
        public int Send(MultiMessageHeader* messages, int count, out Errno errno)
        {
            int sent = Libc.SendMessages(socket.SafeHandle, messages, (uint)count, LinuxConstants.MSG_DONTWAIT);
            errno = sent < 0 ? Libc.LastError : Errno.None;
            return sent;
        }

        public void WaitUntilWritable() => socket.Poll(TimeSpan.FromSeconds(1), SelectMode.SelectWrite);
    }
}
