using System.Runtime.InteropServices;
using Rebound.Interop;
using Rebound.Shield.Kernel;

namespace Rebound.Shield;

/// <summary>bpffs, where pinned shields live (<c>/sys/fs/bpf/rebound/cg&lt;id&gt;/</c>); mounted on first use when the host has not.</summary>
internal static class BpfFileSystem
{
    public const string MountPoint = "/sys/fs/bpf";

    public static bool IsMounted()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/mountinfo"))
            {
                int dash = line.IndexOf(" - ", StringComparison.Ordinal);
                if (dash < 0 || !line.AsSpan(dash + 3).StartsWith("bpf ", StringComparison.Ordinal))
                {
                    continue;
                }

                string[] fields = line[..dash].Split(' ');
                if (fields.Length > 4 && fields[4] == MountPoint)
                {
                    return true;
                }
            }
        }
        catch (IOException)
        {
        }

        return false;
    }

    /// <summary>Mounts bpffs at /sys/fs/bpf (as systemd does at boot) unless it is there already.</summary>
    public static void EnsureMounted()
    {
        if (IsMounted())
        {
            return;
        }

        if (!Directory.Exists(MountPoint))
        {
            throw new BpfException($"{MountPoint} does not exist, so bpffs cannot be mounted to pin the shield (use --foreground)");
        }

        if (FileCalls.Mount("bpf", MountPoint, "bpf", 0, "mode=0700") != 0)
        {
            Errno errno = Libc.LastError;
            if (!IsMounted())
            {
                throw new BpfException($"cannot mount bpffs at {MountPoint}", errno);
            }
        }
    }
}
