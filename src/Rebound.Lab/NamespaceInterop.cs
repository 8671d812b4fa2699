using System.Runtime.InteropServices;

namespace Rebound.Lab;

/// <summary>setns(2), the one call needed to move the current thread into another network namespace.</summary>
internal static partial class NamespaceInterop
{
    public const int CLONE_NEWNET = 0x40000000;

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    public static partial int SetNamespace(SafeHandle fd, int nsType);
}
