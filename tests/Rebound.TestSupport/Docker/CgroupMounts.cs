namespace Rebound.TestSupport.Docker;

/// <summary>
/// <c>ip netns exec</c> mounts a fresh /sys, which hides /sys/fs/cgroup; dockerd and runc need it. This writes the
/// shell lines that mount, inside that private mount namespace, the same cgroup v1 hierarchies and unified hierarchy
/// the host has (read from /proc/self/mounts), so containers' cgroups are the host's and can be removed from outside.
/// </summary>
internal static class CgroupMounts
{
    private static readonly HashSet<string> MountFlags = new(StringComparer.Ordinal)
    {
        "rw", "ro", "relatime", "noatime", "nosuid", "nodev", "noexec", "seclabel",
    };

    public static string Script()
    {
        var lines = new System.Text.StringBuilder();
        bool rootIsCgroup = false;
        var mounts = new List<(string Type, string Point, string Options)>();
        foreach (string line in File.ReadLines("/proc/self/mounts"))
        {
            string[] f = line.Split(' ');
            if (f.Length >= 4 && f[2] is "cgroup" or "cgroup2" && f[1].StartsWith("/sys/fs/cgroup", StringComparison.Ordinal))
            {
                rootIsCgroup |= f[1] == "/sys/fs/cgroup";
                mounts.Add((f[2], f[1], string.Join(',', f[3].Split(',').Where(o => !MountFlags.Contains(o)))));
            }
        }

        if (!rootIsCgroup)
        {
            lines.Append("mount -t tmpfs rb-cgroup /sys/fs/cgroup; ");
        }

        foreach ((string type, string point, string options) in mounts)
        {
            lines.Append($"mkdir -p {HostCommand.Quote(point)}; ");
            if (type == "cgroup2")
            {
                lines.Append($"mount -t cgroup2 cgroup2 {HostCommand.Quote(point)}; ");
            }
            else
            {
                // A named hierarchy without controllers (name=systemd) must say "none".
                string o = options.Split(',').All(x => x.StartsWith("name=", StringComparison.Ordinal) || x.Contains('=', StringComparison.Ordinal)) ? "none," + options : options;
                lines.Append($"mount -t cgroup -o {HostCommand.Quote(o)} cgroup {HostCommand.Quote(point)}; ");
            }
        }

        return lines.ToString();
    }
}
