using System.Runtime.InteropServices;
using System.Text;
using Rebound.Interop;

namespace Rebound.Shield.Kernel;

/// <summary>Pin, open-pinned and info calls shared by maps, programs and links (they are all bpf file descriptors).</summary>
internal static unsafe class BpfObjects
{
    /// <summary>Makes the object outlive this process: a file in bpffs holds a reference until it is unlinked.</summary>
    public static void Pin(FileDescriptor fd, string path)
    {
        byte[] name = NullTerminated(path);
        fixed (byte* pathName = name)
        {
            var attributes = new ObjectPinAttributes { PathName = (ulong)pathName, BpfFd = fd.Value };
            if (BpfCalls.Invoke(BpfCommand.ObjectPin, ref attributes, out Errno errno) < 0)
            {
                throw new BpfException($"cannot pin at {path}", errno);
            }
        }
    }

    /// <summary>Opens a pinned object; null when nothing is pinned there.</summary>
    public static FileDescriptor? OpenPinned(string path)
    {
        byte[] name = NullTerminated(path);
        fixed (byte* pathName = name)
        {
            var attributes = new ObjectPinAttributes { PathName = (ulong)pathName };
            long fd = BpfCalls.Invoke(BpfCommand.ObjectGet, ref attributes, out Errno errno);
            if (fd < 0)
            {
                return errno == Errno.ENOENT ? null : throw new BpfException($"cannot open pinned {path}", errno);
            }

            return new FileDescriptor((int)fd);
        }
    }

    public static T GetInfo<T>(FileDescriptor fd)
        where T : unmanaged
    {
        T info = default;
        var attributes = new ObjectInfoAttributes { BpfFd = fd.Value, InfoLength = (uint)sizeof(T), Info = (ulong)&info };
        if (BpfCalls.Invoke(BpfCommand.ObjectGetInfoByFd, ref attributes, out Errno errno) < 0)
        {
            throw new BpfException("cannot read object info", errno);
        }

        return info;
    }

    public static byte[] NullTerminated(string text)
    {
        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    /// <summary>Copies an object name (at most 15 ASCII letters, digits, '_' or '.') into a fixed 16-byte field.</summary>
    public static void WriteName(byte* destination, string name)
    {
        if (name.Length > 15 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '.')))
        {
            throw new ArgumentException($"BPF object name '{name}' must be at most 15 of [A-Za-z0-9_.]", nameof(name));
        }

        for (int i = 0; i < name.Length; i++)
        {
            destination[i] = (byte)name[i];
        }
    }

    /// <summary>How many CPUs the kernel may ever use: the value count of a per-CPU map.</summary>
    public static int PossibleCpuCount()
    {
        // Format: "0-3" or "0,2-5"; the count is the highest index + 1 (per-CPU values are laid out by CPU number).
        string text = File.ReadAllText("/sys/devices/system/cpu/possible").Trim();
        int highest = 0;
        foreach (string part in text.Split(','))
        {
            string last = part.Contains('-', StringComparison.Ordinal) ? part[(part.IndexOf('-', StringComparison.Ordinal) + 1)..] : part;
            highest = Math.Max(highest, int.Parse(last, System.Globalization.CultureInfo.InvariantCulture));
        }

        return highest + 1;
    }
}
