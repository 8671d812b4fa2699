using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using Rebound.Interop;
using Rebound.Shield.Kernel;

namespace Rebound.Shield;

/// <summary>Finds cgroup v2 paths: where the unified hierarchy is mounted, which cgroup a process is in, and cgroup ids.</summary>
public static class Cgroups
{
    /// <summary>The cgroup2 mount point (<c>/sys/fs/cgroup</c> on pure v2 hosts, <c>/sys/fs/cgroup/unified</c> on hybrid ones); null without one.</summary>
    public static string? UnifiedMount()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/mountinfo"))
            {
                // "36 25 0:31 / /sys/fs/cgroup/unified rw,... shared:9 - cgroup2 cgroup2 rw"
                int dash = line.IndexOf(" - ", StringComparison.Ordinal);
                if (dash < 0 || !line.AsSpan(dash + 3).StartsWith("cgroup2 ", StringComparison.Ordinal))
                {
                    continue;
                }

                string[] fields = line[..dash].Split(' ');
                if (fields.Length > 4 && fields[3] == "/")
                {
                    return Unescape(fields[4]);
                }
            }
        }
        catch (IOException)
        {
        }

        return null;
    }

    /// <summary>The cgroup v2 directory of process <paramref name="pid"/> (from the "0::" line of /proc/PID/cgroup).</summary>
    public static string OfProcess(int pid)
    {
        string mount = UnifiedMount() ?? throw new InvalidOperationException("no cgroup v2 (cgroup2) file system is mounted");
        string file = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cgroup";
        if (!File.Exists(file))
        {
            throw new ArgumentException($"no process {pid}", nameof(pid));
        }

        foreach (string line in File.ReadLines(file))
        {
            if (line.StartsWith("0::", StringComparison.Ordinal))
            {
                return Path.Join(mount, line[3..]).TrimEnd('/') is { Length: > 0 } p ? p : "/";
            }
        }

        throw new InvalidOperationException($"process {pid} is in no cgroup v2 (no 0:: line in {file})");
    }

    /// <summary>The cgroup id the kernel reports for a cgroup: the inode number of its directory.</summary>
    public static unsafe ulong Id(string cgroupPath)
    {
        byte* buffer = stackalloc byte[256];
        if (FileCalls.Stat(cgroupPath, buffer) != 0)
        {
            throw new BpfException($"cannot stat {cgroupPath}", Libc.LastError);
        }

        return BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(buffer + 8, 8));
    }

    /// <summary>Finds the directory of cgroup <paramref name="id"/> under the unified mount; null when it is gone.</summary>
    public static string? FindById(ulong id)
    {
        string? mount = UnifiedMount();
        if (mount is null)
        {
            return null;
        }

        var pending = new Stack<string>();
        pending.Push(mount);
        while (pending.Count > 0)
        {
            string directory = pending.Pop();
            try
            {
                if (Id(directory) == id)
                {
                    return directory;
                }

                foreach (string child in Directory.EnumerateDirectories(directory))
                {
                    pending.Push(child);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or BpfException)
            {
                // A cgroup removed while walking; keep looking.
            }
        }

        return null;
    }

    /// <summary>True when <paramref name="path"/> is a directory of the cgroup v2 hierarchy.</summary>
    public static bool IsCgroup(string path) => File.Exists(Path.Join(path, "cgroup.procs")) &&
        UnifiedMount() is { } mount && Path.GetFullPath(path).StartsWith(mount, StringComparison.Ordinal);

    private static string Unescape(string field) => field.Replace("\\040", " ", StringComparison.Ordinal);
}
