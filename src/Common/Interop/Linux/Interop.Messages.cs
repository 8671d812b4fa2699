using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Rebound.Interop;

// recvmsg/sendmsg and their batched forms: the datagram path of ReboundSocket, DatagramBatch, the proxy and the bench.
internal static unsafe partial class Libc
{
    [LibraryImport(Library, EntryPoint = "recvmsg", SetLastError = true)]
    public static partial nint ReceiveMessage(SafeSocketHandle socket, MessageHeader* message, int flags);

    [LibraryImport(Library, EntryPoint = "sendmsg", SetLastError = true)]
    public static partial nint SendMessage(SafeSocketHandle socket, MessageHeader* message, int flags);

    [LibraryImport(Library, EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int ReceiveMessages(SafeSocketHandle socket, MultiMessageHeader* messages, uint count, int flags, void* timeout);

    [LibraryImport(Library, EntryPoint = "sendmmsg", SetLastError = true)]
    public static partial int SendMessages(SafeSocketHandle socket, MultiMessageHeader* messages, uint count, int flags);
}
