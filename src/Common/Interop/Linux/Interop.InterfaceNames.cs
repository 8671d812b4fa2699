using System.Globalization;
using System.Runtime.InteropServices;

namespace Rebound.Interop;

/// <summary>
/// Interface index ↔ name in the calling thread's network namespace. Uses if_nametoindex/if_indextoname (an ioctl on a
/// socket of the current namespace) rather than /sys/class/net, which shows the namespace sysfs was mounted in.
/// </summary>
internal static unsafe class InterfaceNames
{
    /// <summary>The index of <paramref name="name"/>, or 0 if there is no such interface here.</summary>
    public static int IndexOf(string name) => (int)Libc.NameToIndex(name);

    /// <summary>The name of interface <paramref name="index"/>, or null.</summary>
    public static string? NameOf(int index)
    {
        if (index <= 0)
        {
            return null;
        }

        byte* buffer = stackalloc byte[64];
        return Libc.IndexToName((uint)index, buffer) == null ? null : Marshal.PtrToStringUTF8((nint)buffer);
    }

    /// <summary>"eth0(2)" for people; "?" when unknown.</summary>
    public static string Describe(int index) =>
        index <= 0 ? "?" : NameOf(index) is string name ? $"{name}({index})" : index.ToString(CultureInfo.InvariantCulture);
}

// if_nametoindex() and if_indextoname().
internal static unsafe partial class Libc
{
    [LibraryImport(Library, EntryPoint = "if_nametoindex", StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint NameToIndex(string name);

    [LibraryImport(Library, EntryPoint = "if_indextoname")]
    public static partial byte* IndexToName(uint index, byte* name);
}
