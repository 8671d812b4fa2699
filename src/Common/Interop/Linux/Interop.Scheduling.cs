using System.Runtime.InteropServices;

namespace Rebound.Interop;

// sched_setaffinity() and sysconf(): pinning the bench's load thread to a CPU, and the kernel's clock-tick rate.
internal static unsafe partial class Libc
{
    public const int SC_CLK_TCK = 2;

    [LibraryImport(Library, EntryPoint = "sched_setaffinity", SetLastError = true)]
    public static partial int SetAffinity(int threadId, nuint maskSize, ulong* mask);

    [LibraryImport(Library, EntryPoint = "sysconf")]
    public static partial long SystemConfiguration(int name);
}
