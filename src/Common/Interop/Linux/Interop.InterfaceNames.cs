using System.Globalization;
using System.Runtime.InteropServices;

namespace Rebound.Interop;

/// <summary>
/// Interface index ↔ name in the calling thread's network namespace. Uses if_nametoindex/if_indextoname (an ioctl on a
/// socket of the current namespace) rather than /sys/class/net, which shows the namespace sysfs was mounted in.
/// </summary>
internal static unsafe partial class InterfaceNames
{
    /// <summary>The index of <paramref name="name"/>, or 0 if there is no such interface here.</summary>
    public static int IndexOf(string name) => (int)NameToIndex(name);

    /// <summary>The name of interface <paramref name="index"/>, or null.</summary>
    public static string? NameOf(int index)
    {
        if (index <= 0)
        {
            return null;
        }

        byte* buffer = stackalloc byte[64];
        return IndexToName((uint)index, buffer) == null ? null : Marshal.PtrToStringUTF8((nint)buffer);
    }

    /// <summary>"eth0(2)" for people; "?" when unknown.</summary>
    public static string Describe(int index) =>
        index <= 0 ? "?" : NameOf(index) is string name ? $"{name}({index})" : index.ToString(CultureInfo.InvariantCulture);

    [LibraryImport("libc", EntryPoint = "if_nametoindex", StringMarshalling = StringMarshalling.Utf8)]
    private static partial uint NameToIndex(string name);

    [LibraryImport("libc", EntryPoint = "if_indextoname")]
    private static partial byte* IndexToName(uint index, byte* name);
}
