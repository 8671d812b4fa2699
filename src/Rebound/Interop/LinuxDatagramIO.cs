using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static Rebound.Interop.LinuxConstants;

namespace Rebound.Interop;

/// <summary>
/// One recvmsg or sendmsg with pktinfo on Linux. Every native structure lives on the stack for the duration of the
/// call, so the calls are thread-safe and allocate nothing. Sends never block (MSG_DONTWAIT); a receive blocks only
/// when asked to (and then only if the descriptor is in blocking mode).
/// </summary>
/// <remarks>
/// <see cref="SkipLocalsInitAttribute"/>: the stack buffers are not zeroed first. The kernel fills the receive
/// buffers (and only the lengths it reports are read), and the encoders clear what they write for a send.
/// </remarks>
[SkipLocalsInit]
internal static unsafe class LinuxDatagramIO
{
    /// <summary>
    /// Receives one datagram. Returns <see cref="Errno.None"/>, or why not: EAGAIN when nothing is queued (and not blocking), ESHUTDOWN when a
    /// blocked call was woken by shutdown/Dispose (recvmsg returned 0 bytes from nobody).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Errno TryReceive(
        SafeSocketHandle socket,
        Span<byte> buffer,
        ushort localPort,
        int controlSize,
        out ReceivedDatagram datagram,
        bool block = false)
    {
        byte* name = stackalloc byte[SocketAddressCodec.MaxSize];
        byte* control = stackalloc byte[ControlMessages.ReceiveBufferSize];
        controlSize = Math.Min(controlSize, ControlMessages.ReceiveBufferSize);
        fixed (byte* payload = buffer)
        {
            IoVec vector = new() { Base = payload, Length = (nuint)buffer.Length };
            MessageHeader message = new()
            {
                Name = name,
                NameLength = SocketAddressCodec.MaxSize,
                IoVectors = &vector,
                IoVectorCount = 1,
                Control = control,
                ControlLength = (nuint)controlSize,
            };

            nint received;
            do
            {
                received = Libc.ReceiveMessage(socket, &message, block ? 0 : MSG_DONTWAIT);
            }
            while (Libc.Interrupted(received));

            if (received < 0 || (received == 0 && message.NameLength == 0))
            {
                datagram = default;
                return received < 0 ? Libc.LastError : Errno.ESHUTDOWN;
            }

            datagram = DatagramDecoder.Decode(
                Math.Min((int)received, buffer.Length),
                message.Flags,
                new ReadOnlySpan<byte>(name, (int)message.NameLength),
                new ReadOnlySpan<byte>(control, (int)message.ControlLength),
                localPort);
            return Errno.None;
        }
    }

    /// <summary>Sends one datagram from <paramref name="source"/>. Returns <see cref="Errno.None"/>, or the errno.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Errno TrySend(
        SafeSocketHandle socket,
        int socketFamily,
        ReadOnlySpan<byte> payload,
        UdpEndPoint destination,
        UdpEndPoint source,
        int interfaceIndex)
    {
        byte* name = stackalloc byte[SocketAddressCodec.MaxSize];
        byte* control = stackalloc byte[ControlMessages.SendBufferSize];
        int nameLength = SocketAddressCodec.Write(destination, socketFamily, new Span<byte>(name, SocketAddressCodec.MaxSize));
        int controlLength = ControlMessages.WriteSource(source, interfaceIndex, new Span<byte>(control, ControlMessages.SendBufferSize));
        fixed (byte* data = payload)
        {
            IoVec vector = new() { Base = data, Length = (nuint)payload.Length };
            MessageHeader message = new()
            {
                Name = name,
                NameLength = (uint)nameLength,
                IoVectors = &vector,
                IoVectorCount = 1,
                Control = control,
                ControlLength = (nuint)controlLength,
            };

            nint sent;
            do
            {
                sent = Libc.SendMessage(socket, &message, MSG_DONTWAIT);
            }
            while (Libc.Interrupted(sent));

            return sent < 0 ? Libc.LastError : Errno.None;
        }
    }
}
