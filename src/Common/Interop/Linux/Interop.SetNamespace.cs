using System.Runtime.InteropServices;

namespace Rebound.Interop;

// setns(): the one call needed to move the current thread into another network namespace.
internal static partial class Libc
{
    public const int CLONE_NEWNET = 0x40000000;

    [LibraryImport(Library, EntryPoint = "setns", SetLastError = true)]
    public static partial int SetNamespace(SafeHandle fd, int nsType);
}
