using System.Runtime.InteropServices;

namespace Rebound.Interop;

/// <summary><c>struct pollfd</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PollDescriptor
{
    public int Descriptor;
    public short Events;
    public short ReturnedEvents;
}

// poll() and an eventfd: what a ReboundSocket's own I/O thread waits with (SocketIOThread).
internal static unsafe partial class Libc
{
    public const short POLLIN = 0x001;
    public const int EFD_CLOEXEC = 0x80000;

    [LibraryImport(Library, EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollDescriptor* descriptors, nuint count, int timeoutMilliseconds);

    [LibraryImport(Library, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initialValue, int flags);

    [LibraryImport(Library, EntryPoint = "eventfd_read", SetLastError = true)]
    public static partial int EventFdRead(int descriptor, ulong* value);

    [LibraryImport(Library, EntryPoint = "eventfd_write", SetLastError = true)]
    public static partial int EventFdWrite(int descriptor, ulong value);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int descriptor);
}
