using System.Runtime.InteropServices;

namespace Rebound.Interop;

/// <summary>open/close/mount: a cgroup is attached to through a directory descriptor, which .NET's file APIs do not open.</summary>
internal static unsafe partial class FileCalls
{
    public const int ReadOnly = 0;
    public const int Directory = 0x10000;   // O_DIRECTORY
    public const int CloseOnExec = 0x80000; // O_CLOEXEC

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Mount(string source, string target, string fileSystemType, nuint flags, string? data);

    /// <summary>stat(2) into a raw buffer of at least 256 bytes; st_ino is the u64 at offset 8 on x86_64 and arm64.</summary>
    [LibraryImport("libc", EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Stat(string path, byte* buffer);
}
