using Rebound.Interop;
using Rebound.Shield.Kernel;

namespace Rebound.Shield;

/// <summary>What stops the shield from running here, named precisely enough to fix; null fields mean nothing is missing.</summary>
/// <param name="Missing">One sentence naming the missing piece.</param>
/// <param name="IsPermission">True when the fix is privileges (root, CAP_BPF), not the system.</param>
public sealed record ShieldUnavailable(string Missing, bool IsPermission);

/// <summary>Checks, before anything is loaded, that this host can run the shield: Linux, root, cgroup v2 and the bpf() call.</summary>
public static class ShieldSupport
{
    /// <summary>Null when the shield can be attached here; otherwise what is missing.</summary>
    public static ShieldUnavailable? Check()
    {
        if (!OperatingSystem.IsLinux())
        {
            return new("the shield uses Linux cgroup BPF; this is not Linux", false);
        }

        if (!IsRoot())
        {
            return new("attaching BPF programs to cgroups needs root (CAP_BPF and CAP_NET_ADMIN); run with sudo", true);
        }

        if (Cgroups.UnifiedMount() is null)
        {
            return new("no cgroup v2 file system is mounted (cgroup2 at /sys/fs/cgroup or /sys/fs/cgroup/unified); the shield attaches to cgroup v2 only", false);
        }

        try
        {
            using var probe = BpfMap.Create(BpfMapType.Array, 4, 8, 1, "rb_probe");
        }
        catch (BpfException e) when (e.Error == Errno.ENOSYS)
        {
            return new("this kernel has no bpf() system call (CONFIG_BPF_SYSCALL is off)", false);
        }
        catch (BpfException e) when (e.Error is Errno.EPERM or Errno.EACCES)
        {
            return new("the kernel refused bpf() (EPERM): needs CAP_BPF; in a container, run it with --privileged or on the host", true);
        }
        catch (PlatformNotSupportedException e)
        {
            return new(e.Message, false);
        }

        return null;
    }

    /// <summary>A friendlier sentence for a failure while loading or attaching (old kernel, missing hooks).</summary>
    public static string Explain(BpfException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error.VerifierLog is null && error.Error == Errno.EINVAL && error.Message.Contains("attach", StringComparison.Ordinal))
        {
            return error.Message + " — attaching through BPF links needs Linux 5.7 or newer";
        }

        if (error.VerifierLog is null && error.Error == Errno.EINVAL)
        {
            return error.Message + " — the cgroup sendmsg hooks need Linux 4.18, and the programs read the socket (Linux 5.3)";
        }

        return error.Message;
    }

    private static bool IsRoot()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                string[] parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                return parts.Length > 2 && parts[2] == "0";
            }
        }

        return false;
    }
}
