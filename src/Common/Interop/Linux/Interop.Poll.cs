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

// poll(): how a ReboundSocket's own I/O thread, the capture socket and the bench's load generator wait.
internal static unsafe partial class Libc
{
    /// <summary>Data to read.</summary>
    public const short POLLIN = 0x001;

    /// <summary>An error is pending (ICMP unreachable on a connected socket).</summary>
    public const short POLLERR = 0x008;

    [LibraryImport(Library, EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollDescriptor* descriptors, nuint count, int timeoutMilliseconds);
}
