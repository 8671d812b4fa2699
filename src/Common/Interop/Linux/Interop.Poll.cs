using System.Runtime.InteropServices;

namespace Rebound.Interop;

/// <summary>poll(2): waits for several descriptors at once (the capture socket, the load generator's client sockets).</summary>
internal static unsafe partial class PollInterop
{
    /// <summary>Data to read.</summary>
    public const short POLLIN = 0x1;

    /// <summary>An error is pending (ICMP unreachable on a connected socket).</summary>
    public const short POLLERR = 0x8;

    /// <summary><c>struct pollfd</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollDescriptor
    {
        public int Descriptor;
        public short Events;
        public short ReturnedEvents;
    }

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollDescriptor* descriptors, nuint count, int timeoutMilliseconds);
}
