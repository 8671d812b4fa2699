using System.Globalization;
using System.Text.RegularExpressions;
using Rebound.Shield;

namespace Rebound.Cli.Doctor;

/// <summary>
/// What doctor says about <c>rebound shield</c> for one listener: the cgroup whose shield already covers its processes,
/// or, for a listener proven AT RISK without one, the exact <c>rebound shield attach …</c> line that fixes it (by
/// systemd unit or Docker container when the cgroup names one, else by pid).
/// </summary>
internal sealed partial record ShieldAdvice(string? ShieldCgroup, string? Fix)
{
    /// <summary>Nothing to say: no owner is shielded and the listener needs no fix.</summary>
    public static readonly ShieldAdvice None = new(null, null);

    /// <summary>Looks at the processes holding <paramref name="listener"/>'s sockets.</summary>
    public static ShieldAdvice For(ListenerReport listener, Func<int, ShieldCover?> coverOf, Func<int, string?> cgroupOf)
    {
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentNullException.ThrowIfNull(coverOf);
        ArgumentNullException.ThrowIfNull(cgroupOf);
        int[] pids = [.. listener.Sockets.SelectMany(s => s.Owners).Select(o => o.Pid).Distinct()];
        ShieldCover? cover = pids.Select(coverOf).FirstOrDefault(c => c is not null);
        if (cover is not null)
        {
            return new ShieldAdvice(cover.CgroupPath, null);
        }

        if (listener.Verdict != ListenerVerdict.AtRisk || pids.Length == 0)
        {
            return None;
        }

        return new ShieldAdvice(null, FixFor(pids[0], cgroupOf(pids[0])));
    }

    /// <summary>The attach line for process <paramref name="pid"/> in <paramref name="cgroupPath"/>: by unit, container or pid.</summary>
    public static string FixFor(int pid, string? cgroupPath)
    {
        string leaf = cgroupPath is null ? "" : Path.GetFileName(cgroupPath);
        if (DockerScope().Match(leaf) is { Success: true } scope)
        {
            return $"rebound shield attach --container {scope.Groups[1].Value[..12]}";
        }

        if (cgroupPath is not null && DockerDirectory().IsMatch(leaf) && Path.GetFileName(Path.GetDirectoryName(cgroupPath)) == "docker")
        {
            return $"rebound shield attach --container {leaf[..12]}";
        }

        if (leaf.EndsWith(".service", StringComparison.Ordinal) && leaf.Length > ".service".Length)
        {
            return $"rebound shield attach --unit {leaf}";
        }

        return $"rebound shield attach --pid {pid.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>The cgroup of <paramref name="pid"/>, or null when it cannot be read.</summary>
    public static string? CgroupOf(int pid)
    {
        try
        {
            return Cgroups.OfProcess(pid);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [GeneratedRegex("^docker-([0-9a-f]{64})\\.scope$")]
    private static partial Regex DockerScope();

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex DockerDirectory();
}
