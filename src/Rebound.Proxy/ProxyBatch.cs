using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Rebound.Interop;

namespace Rebound.Proxy;

/// <summary>
/// The upstream side of the proxy's batching: recvmmsg and sendmmsg on the connected per-flow sockets, which are plain
/// sockets (no pktinfo, no addresses). Everything on the client side goes through the library instead: the front
/// <see cref="ReboundSocket"/>s receive into a <see cref="DatagramBatch"/> and reply with a <see cref="TransmitBatch"/>,
/// so the reply rule, the partial-send policy and the "Rebound" meter are the library's.
/// </summary>
internal sealed unsafe class ProxyBatch : IDisposable
{
    public const int Capacity = 32;
    private const int SlotSize = 65536;

    private readonly byte* _payloads;
    private readonly IoVec* _vectors;
    private readonly MultiMessageHeader* _messages;
    private bool _disposed;

    public ProxyBatch()
    {
        _payloads = (byte*)NativeMemory.Alloc((nuint)(Capacity * SlotSize));
        _vectors = (IoVec*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(IoVec)));
        _messages = (MultiMessageHeader*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(MultiMessageHeader)));
    }

    /// <summary>
    /// Receives what a connected upstream socket has queued, without waiting. Returns how many, or -1 with the errno
    /// (EAGAIN when nothing was queued).
    /// </summary>
    public int Receive(SafeSocketHandle socket, out int errno)
    {
        for (int i = 0; i < Capacity; i++)
        {
            _vectors[i] = new IoVec { Base = _payloads + ((long)i * SlotSize), Length = SlotSize };
            _messages[i].Header = new MessageHeader { IoVectors = &_vectors[i], IoVectorCount = 1 };
            _messages[i].Length = 0;
        }

        int count;
        do
        {
            count = Libc.ReceiveMessages(socket, _messages, Capacity, LinuxConstants.MSG_DONTWAIT, null);
        }
        while (count < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR);

        errno = count < 0 ? Marshal.GetLastPInvokeError() : 0;
        return count;
    }

    /// <summary>Payload length of datagram <paramref name="index"/> of the last receive.</summary>
    public int LengthOf(int index) => (int)Math.Min(_messages[index].Length, SlotSize);

    /// <summary>Payload of datagram <paramref name="index"/> of the last receive.</summary>
    public ReadOnlySpan<byte> Payload(int index) => new(_payloads + ((long)index * SlotSize), LengthOf(index));

    /// <summary>
    /// Sends the payloads of <paramref name="requests"/> listed in <paramref name="indices"/>, in that order, on a
    /// connected socket (the batch's native payload buffers are sent in place). Returns how many went out; when fewer,
    /// <paramref name="errno"/> says why: a connected socket's error (ECONNREFUSED) concerns every later datagram too.
    /// </summary>
    public int SendConnected(SafeSocketHandle socket, DatagramBatch requests, ReadOnlySpan<int> indices, out int errno)
    {
        for (int k = 0; k < indices.Length; k++)
        {
            ReadOnlySpan<byte> payload = requests.Payload(indices[k]);
            _vectors[k] = new IoVec { Base = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(payload)), Length = (nuint)payload.Length };
            _messages[k].Header = new MessageHeader { IoVectors = &_vectors[k], IoVectorCount = 1 };
        }

        int done = 0;
        errno = 0;
        while (done < indices.Length)
        {
            int sent = Libc.SendMessages(socket, _messages + done, (uint)(indices.Length - done), LinuxConstants.MSG_DONTWAIT);
            if (sent < 0)
            {
                errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                {
                    continue;
                }

                break;
            }

            done += sent;
        }

        return done;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        NativeMemory.Free(_payloads);
        NativeMemory.Free(_vectors);
        NativeMemory.Free(_messages);
    }
}
