using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Rebound.Interop;

// recvmsg/sendmsg and their batched forms: the datagram path of ReboundSocket, DatagramBatch, the proxy and the bench.
internal static unsafe partial class Libc
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [LibraryImport(Library, EntryPoint = "recvmsg", SetLastError = true)]
    public static partial nint ReceiveMessage(SafeSocketHandle socket, MessageHeader* message, int flags);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [LibraryImport(Library, EntryPoint = "sendmsg", SetLastError = true)]
    public static partial nint SendMessage(SafeSocketHandle socket, MessageHeader* message, int flags);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [LibraryImport(Library, EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int ReceiveMessages(SafeSocketHandle socket, MultiMessageHeader* messages, uint count, int flags, void* timeout);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [LibraryImport(Library, EntryPoint = "sendmmsg", SetLastError = true)]
    public static partial int SendMessages(SafeSocketHandle socket, MultiMessageHeader* messages, uint count, int flags);
}
