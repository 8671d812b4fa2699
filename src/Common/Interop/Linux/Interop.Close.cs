using System.Runtime.InteropServices;

namespace Rebound.Interop;

// close(): for descriptors no .NET type owns (eventfd, epoll, AF_PACKET sockets).
internal static partial class Libc
{
    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int descriptor);
}
