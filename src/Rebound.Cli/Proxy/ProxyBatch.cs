using System.Net.Sockets;
using System.Runtime.InteropServices;
using Rebound.Interop;

namespace Rebound.Cli.Proxy;

/// <summary>
/// Up to <see cref="Capacity"/> datagrams moved with one recvmmsg or sendmmsg, in buffers allocated once. Most of a
/// proxied exchange's cost is the kernel's; batching removes the per-datagram system call around it. Receiving on a
/// front socket decodes each datagram's pktinfo with the library's own decoder; replies to one client carry the
/// library's own pktinfo encoding, so the batched path answers exactly as <see cref="ReboundSocket.Reply"/> does.
/// Unlike the library's <see cref="Rebound.DatagramBatch"/> (each reply to its own requester), the proxy forwards
/// payloads on connected upstream sockets and sends runs of backend replies to one client.
/// </summary>
internal sealed unsafe class ProxyBatch : IDisposable
{
    public const int Capacity = 32;
    private const int SlotSize = 65536;
    private const int Interrupted = 4;

    private readonly byte* _payloads;
    private readonly byte* _names;
    private readonly byte* _controls;
    private readonly IoVec* _vectors;
    private readonly MultiMessageHeader* _messages;
    private readonly IoVec* _outVectors;
    private readonly MultiMessageHeader* _outMessages;
    private readonly byte* _replyName;
    private readonly byte* _replyControl;
    private bool _disposed;

    public ProxyBatch()
    {
        _payloads = (byte*)NativeMemory.Alloc((nuint)(Capacity * SlotSize));
        _names = (byte*)NativeMemory.AllocZeroed((nuint)(Capacity * SocketAddressCodec.MaxSize));
        _controls = (byte*)NativeMemory.AllocZeroed((nuint)(Capacity * ControlMessages.ReceiveBufferSize));
        _vectors = (IoVec*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(IoVec)));
        _messages = (MultiMessageHeader*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(MultiMessageHeader)));
        _outVectors = (IoVec*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(IoVec)));
        _outMessages = (MultiMessageHeader*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(MultiMessageHeader)));
        _replyName = (byte*)NativeMemory.AllocZeroed(SocketAddressCodec.MaxSize);
        _replyControl = (byte*)NativeMemory.AllocZeroed(ControlMessages.SendBufferSize);
    }

    /// <summary>
    /// Receives what is queued (without waiting) on <paramref name="socket"/>: with each sender's address and pktinfo
    /// when <paramref name="withAddresses"/> (a front socket), payloads only otherwise (a connected upstream socket).
    /// Returns how many, or -1 with the errno (EAGAIN when nothing was queued).
    /// </summary>
    public int Receive(SafeSocketHandle socket, bool withAddresses, out int errno)
    {
        for (int i = 0; i < Capacity; i++)
        {
            _vectors[i] = new IoVec { Base = _payloads + ((long)i * SlotSize), Length = SlotSize };
            _messages[i].Header = new MessageHeader
            {
                Name = withAddresses ? _names + (i * SocketAddressCodec.MaxSize) : null,
                NameLength = withAddresses ? (uint)SocketAddressCodec.MaxSize : 0,
                IoVectors = &_vectors[i],
                IoVectorCount = 1,
                Control = withAddresses ? _controls + (i * ControlMessages.ReceiveBufferSize) : null,
                ControlLength = withAddresses ? (nuint)ControlMessages.ReceiveBufferSize : 0,
            };
            _messages[i].Length = 0;
        }

        int count;
        do
        {
            count = Libc.ReceiveMessages(socket, _messages, Capacity, LinuxConstants.MSG_DONTWAIT, null);
        }
        while (count < 0 && Marshal.GetLastPInvokeError() == Interrupted);

        errno = count < 0 ? Marshal.GetLastPInvokeError() : 0;
        return count;
    }

    /// <summary>Payload length of datagram <paramref name="index"/> of the last receive.</summary>
    public int LengthOf(int index) => (int)Math.Min(_messages[index].Length, SlotSize);

    /// <summary>Decodes datagram <paramref name="index"/> of the last front receive (sender, destination, interface).</summary>
    public ReceivedDatagram Decode(int index, ushort localPort) => DatagramDecoder.Decode(
        LengthOf(index),
        _messages[index].Header.Flags,
        new ReadOnlySpan<byte>(_names + (index * SocketAddressCodec.MaxSize), (int)_messages[index].Header.NameLength),
        new ReadOnlySpan<byte>(_controls + (index * ControlMessages.ReceiveBufferSize), (int)_messages[index].Header.ControlLength),
        localPort);

    /// <summary>Payload of datagram <paramref name="index"/> of the last receive.</summary>
    public ReadOnlySpan<byte> Payload(int index) => new(_payloads + ((long)index * SlotSize), LengthOf(index));

    /// <summary>
    /// Sends the datagrams of the last receive listed in <paramref name="indices"/>, in that order, on a connected
    /// socket. Returns how many went out; when fewer, <paramref name="errno"/> says why.
    /// </summary>
    public int SendConnected(SafeSocketHandle socket, ReadOnlySpan<int> indices, out int errno)
    {
        for (int k = 0; k < indices.Length; k++)
        {
            int i = indices[k];
            _outVectors[k] = new IoVec { Base = _payloads + ((long)i * SlotSize), Length = (nuint)LengthOf(i) };
            _outMessages[k].Header = new MessageHeader { IoVectors = &_outVectors[k], IoVectorCount = 1 };
        }

        return SendAll(socket, _outMessages, indices.Length, out errno);
    }

    /// <summary>
    /// Sends datagrams [0, <paramref name="count"/>) of the last receive to the sender of <paramref name="request"/>,
    /// from the address that request was sent to (its pktinfo), on <paramref name="socket"/> of family
    /// <paramref name="socketFamily"/>. Returns how many went out; when fewer, <paramref name="errno"/> says why.
    /// </summary>
    public int Reply(SafeSocketHandle socket, int socketFamily, in ReceivedDatagram request, int count, out int errno)
    {
        int nameLength = SocketAddressCodec.Write(request.RemoteEndpoint, socketFamily, new Span<byte>(_replyName, SocketAddressCodec.MaxSize));
        int interfaceIndex = request.ReplyInterfaceIndex;
        int controlLength = ControlMessages.WriteSource(request.ReplySource, interfaceIndex, new Span<byte>(_replyControl, ControlMessages.SendBufferSize));
        for (int i = 0; i < count; i++)
        {
            ref MessageHeader header = ref _messages[i].Header;
            _vectors[i].Length = (nuint)LengthOf(i);
            header.Name = _replyName;
            header.NameLength = (uint)nameLength;
            header.Control = _replyControl;
            header.ControlLength = (nuint)controlLength;
            header.Flags = 0;
        }

        return SendAll(socket, _messages, count, out errno);
    }

    private static int SendAll(SafeSocketHandle socket, MultiMessageHeader* messages, int count, out int errno)
    {
        int done = 0;
        errno = 0;
        while (done < count)
        {
            int sent = Libc.SendMessages(socket, messages + done, (uint)(count - done), LinuxConstants.MSG_DONTWAIT);
            if (sent < 0)
            {
                errno = Marshal.GetLastPInvokeError();
                if (errno == Interrupted)
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
        NativeMemory.Free(_names);
        NativeMemory.Free(_controls);
        NativeMemory.Free(_vectors);
        NativeMemory.Free(_messages);
        NativeMemory.Free(_outVectors);
        NativeMemory.Free(_outMessages);
        NativeMemory.Free(_replyName);
        NativeMemory.Free(_replyControl);
    }
}
