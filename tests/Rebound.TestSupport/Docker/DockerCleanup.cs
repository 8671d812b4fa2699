using System.Diagnostics;
using System.Globalization;

namespace Rebound.TestSupport.Docker;

/// <summary>
/// Removes everything one harness daemon made, in an order that cannot leave a mount behind: the containers' processes
/// (found through the daemon's private cgroup parent), every process in the daemon's network namespace (dockerd,
/// containerd, shims, docker-proxy: with them goes the private mount namespace holding /run, /etc/docker, the cgroup
/// mounts and the overlay mounts), the network namespace (its iptables rules go with it), the cgroups, the temporary
/// folder. The same shell script runs from <see cref="DockerHost.Dispose"/> and from a watchdog started with
/// <c>setsid</c>, which runs it when the test process dies without disposing (killed by a hang timeout, Ctrl-C).
/// </summary>
public static class DockerCleanup
{
    /// <summary>
    /// Kills the containers' processes and every process in the daemon's namespace. dockerd is stopped (SIGSTOP) first
    /// so it cannot restart containerd, and killed last: until then its reaper (<c>docker-init -s</c>, a subreaper) is
    /// alive to reap the orphans, so no zombie is left for an init that may not reap.
    /// </summary>
    public static string KillScript(string netns, string cgroupParent, string folder) =>
        $$"""
        ns={{HostCommand.Quote(netns)}}; parent={{HostCommand.Quote(cgroupParent)}}; dir={{HostCommand.Quote(folder)}}
        daemon=$(cat "$dir/dockerd.pid" 2>/dev/null); reaper=$(cat "$dir/reaper.pid" 2>/dev/null)
        [ -n "$daemon" ] && kill -STOP "$daemon" 2>/dev/null
        for round in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
          pids=$(cat /sys/fs/cgroup/*/"$parent"/cgroup.procs /sys/fs/cgroup/*/"$parent"/*/cgroup.procs 2>/dev/null; ip netns pids "$ns" 2>/dev/null)
          others=$(for p in $pids; do [ "$p" = "$daemon" ] || [ "$p" = "$reaper" ] || echo "$p"; done)
          [ -z "$others" ] && break
          kill -9 $others 2>/dev/null
          sleep 0.2
        done
        [ -n "$daemon" ] && kill -9 "$daemon" 2>/dev/null
        for round in 1 2 3 4 5 6 7 8 9 10; do
          pids=$(ip netns pids "$ns" 2>/dev/null)
          [ -z "$pids" ] && break
          sleep 0.2
          [ "$round" -ge 5 ] && kill -9 $pids 2>/dev/null
        done

        """;

    /// <summary>The whole cleanup: processes, then the namespace, the cgroups and the folder.</summary>
    public static string Script(string netns, string cgroupParent, string folder) =>
        KillScript(netns, cgroupParent, folder) +
        $$"""
        ip netns del "$ns" 2>/dev/null
        for hierarchy in /sys/fs/cgroup/*/; do
          [ -d "$hierarchy$parent" ] && find "$hierarchy$parent" -depth -type d -exec rmdir {} + 2>/dev/null
        done
        rm -rf {{HostCommand.Quote(folder)}}
        exit 0
        """;

    /// <summary>
    /// Starts the watchdog: a shell in its own session that waits while this process lives and the folder exists, then
    /// cleans up if the folder is still there (that is, nobody disposed the host).
    /// </summary>
    public static void StartWatchdog(string netns, string cgroupParent, string folder) =>
        StartWatchdog(netns, cgroupParent, folder, Environment.ProcessId);

    /// <summary>The same, watching another process (tests use a short-lived one to play a killed test run).</summary>
    public static void StartWatchdog(string netns, string cgroupParent, string folder, int watchedPid)
    {
        string pid = watchedPid.ToString(CultureInfo.InvariantCulture);
        string script = $"exec </dev/null >/dev/null 2>&1; while kill -0 {pid} 2>/dev/null && [ -d {HostCommand.Quote(folder)} ]; do sleep 1; done; " +
                        $"[ -d {HostCommand.Quote(folder)} ] || exit 0; {Script(netns, cgroupParent, folder)}";
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in (string[])["-f", "sh", "-c", script])
        {
            start.ArgumentList.Add(argument);
        }

        using Process watchdog = Process.Start(start) ?? throw new InvalidOperationException("could not start the cleanup watchdog");
        watchdog.StandardInput.Close();
    }
}
