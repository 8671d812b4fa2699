using System.Runtime.InteropServices;

namespace Rebound.Interop;

// eventfd: how another thread wakes a waiting poll() or epoll_wait() (SocketIOThread, the proxy's Epoll).
internal static unsafe partial class Libc
{
    public const int EFD_CLOEXEC = 0x80000;
    public const int EFD_NONBLOCK = 0x800;

    [LibraryImport(Library, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initialValue, int flags);

    [LibraryImport(Library, EntryPoint = "eventfd_read", SetLastError = true)]
    public static partial int EventFdRead(int descriptor, ulong* value);

    [LibraryImport(Library, EntryPoint = "eventfd_write", SetLastError = true)]
    public static partial int EventFdWrite(int descriptor, ulong value);
}
