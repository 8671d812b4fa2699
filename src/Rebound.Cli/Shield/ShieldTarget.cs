using System.CommandLine;
using System.Globalization;
using Rebound.Lab;
using Rebound.Shield;

namespace Rebound.Cli.Shield;

/// <summary>
/// The one cgroup a shield command acts on, named by exactly one of --pid, --cgroup, --unit, --container or --all
/// (the root cgroup: every process on the host).
/// </summary>
internal sealed class ShieldTarget
{
    public Option<int?> Pid { get; } = new("--pid") { Description = "The cgroup of this process." };

    public Option<string?> Cgroup { get; } = new("--cgroup") { Description = "A cgroup v2 directory: absolute, or relative to the cgroup2 mount (e.g. system.slice/named.service)." };

    public Option<string?> Unit { get; } = new("--unit") { Description = "The cgroup of this systemd unit (e.g. named.service)." };

    public Option<string?> Container { get; } = new("--container") { Description = "The cgroup of this Docker container (ID or name), found from its init process." };

    public Option<bool> All { get; } = new("--all") { Description = "The root cgroup: every process on the host." };

    public IEnumerable<Option> Options => [Pid, Cgroup, Unit, Container, All];

    /// <summary>Number of target options given (0, 1, or more: a usage error).</summary>
    public int CountGiven(ParseResult parse) =>
        (parse.GetValue(Pid) is null ? 0 : 1) + (parse.GetValue(Cgroup) is null ? 0 : 1) + (parse.GetValue(Unit) is null ? 0 : 1) +
        (parse.GetValue(Container) is null ? 0 : 1) + (parse.GetValue(All) ? 1 : 0);

    /// <summary>The cgroup directory named on the command line, or null with <paramref name="error"/> saying why.</summary>
    public string? Resolve(ParseResult parse, out string error)
    {
        error = "";
        string? mount = Cgroups.UnifiedMount();
        if (mount is null)
        {
            error = "no cgroup v2 file system is mounted";
            return null;
        }

        if (CountGiven(parse) != 1)
        {
            error = "name exactly one target: --pid, --cgroup, --unit, --container or --all";
            return null;
        }

        if (parse.GetValue(All))
        {
            return mount;
        }

        if (parse.GetValue(Pid) is int pid)
        {
            return FromProcess(pid, $"--pid {pid}", out error);
        }

        if (parse.GetValue(Cgroup) is string path)
        {
            string full = Path.IsPathRooted(path) ? path : Path.Join(mount, path);
            full = Path.GetFullPath(full).TrimEnd('/');
            if (!full.StartsWith(mount, StringComparison.Ordinal) || !Cgroups.IsCgroup(full))
            {
                error = $"--cgroup: {path} is not a cgroup v2 directory (under {mount})";
                return null;
            }

            return full;
        }

        if (parse.GetValue(Unit) is string unit)
        {
            if (!ProcessRunner.IsInstalled("systemctl"))
            {
                error = "--unit needs systemd (systemctl is not installed); use --pid or --cgroup";
                return null;
            }

            var result = ProcessRunner.Run("systemctl", ["show", "--property=ControlGroup", "--value", unit]);
            string relative = result.StandardOutput.Trim();
            if (!result.Succeeded || relative.Length == 0)
            {
                error = $"--unit: systemd knows no running unit {unit} (is it started?)";
                return null;
            }

            string full = Path.Join(mount, relative).TrimEnd('/');
            if (!Cgroups.IsCgroup(full))
            {
                error = $"--unit: {unit}'s cgroup {relative} is not in the cgroup v2 hierarchy at {mount}";
                return null;
            }

            return full;
        }

        string container = parse.GetValue(Container)!;
        if (!ProcessRunner.IsInstalled("docker"))
        {
            error = "--container needs the docker command; use --pid with the container's process id";
            return null;
        }

        var inspect = ProcessRunner.Run("docker", ["inspect", "--format", "{{.State.Pid}}", container]);
        if (!inspect.Succeeded || !int.TryParse(inspect.StandardOutput.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int initPid) || initPid == 0)
        {
            error = $"--container: no running container {container} ({inspect.StandardError.Trim()})";
            return null;
        }

        return FromProcess(initPid, $"--container {container}", out error);
    }

    private static string? FromProcess(int pid, string what, out string error)
    {
        error = "";
        try
        {
            return Cgroups.OfProcess(pid);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
        {
            error = $"{what}: {e.Message}";
            return null;
        }
    }
}
