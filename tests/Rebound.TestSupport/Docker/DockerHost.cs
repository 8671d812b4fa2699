using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Rebound.TestSupport.Docker;

/// <summary>
/// A real Docker daemon (Debian's docker.io) for tests, confined to a network namespace the harness creates, laid out
/// like the lab: the namespace is the "host", with an uplink <c>eth0</c> 198.51.100.13/24 and Docker's own
/// <c>docker0</c> 192.0.2.1/24 (containers get 192.0.2.2, .3, …). dockerd runs in a private mount namespace (the one
/// <c>ip netns exec</c> makes) with the cgroup hierarchies mounted again and private tmpfs over /run and /etc/docker;
/// data, exec root, pid file and API socket live in one temporary folder; its cgroup parent and names are unique to the
/// run. Dispose — or, if the test process dies, a watchdog — removes every process, mount, cgroup, namespace (with its
/// iptables rules) and file it made. Start it once per test collection: it takes a few seconds.
/// </summary>
public sealed class DockerHost : IDisposable
{
    /// <summary>The host's uplink address (the lab's eth0), on which containers reach host services.</summary>
    public static readonly IPAddress UplinkAddress = IPAddress.Parse("198.51.100.13");

    /// <summary>docker0's address (<c>--bip</c>): where a naive host server's replies to containers come from.</summary>
    public static readonly IPAddress BridgeAddress = IPAddress.Parse("192.0.2.1");

    private const string Dockerd = "/usr/sbin/dockerd";
    private const string DockerCli = "/usr/bin/docker";
    private const string DockerInit = "/usr/bin/docker-init";
    private static int s_counter;

    private readonly string _folder;
    private readonly string _cgroupParent;
    private Process? _daemon;
    private int _disposed;

    private DockerHost(string name, string folder)
    {
        Namespace = name;
        _cgroupParent = name;
        _folder = folder;
    }

    /// <summary>The network namespace (under /run/netns) that plays the host; run host-side servers in it.</summary>
    public string Namespace { get; }

    /// <summary>The storage driver the daemon runs with: overlay2, or vfs where overlay mounts fail.</summary>
    public string StorageDriver { get; private set; } = "overlay2";

    /// <summary>The daemon's API socket, for <c>docker -H</c>.</summary>
    public string Socket => $"unix://{Path.Combine(_folder, "docker.sock")}";

    /// <summary>Why a daemon cannot run here (not root, a program missing), or null when it is worth trying.</summary>
    public static string? WhyUnavailable()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            return "needs root on Linux (CI runs as root)";
        }

        foreach (string program in (string[])[Dockerd, DockerCli, DockerInit, "/usr/bin/setsid"])
        {
            if (!File.Exists(program))
            {
                return $"{program} is missing (scripts/test.sh installs docker.io)";
            }
        }

        if (HostCommand.Run("ip", ["-V"]).ExitCode == 127)
        {
            return "`ip` (iproute2) is missing";
        }

        if (!Directory.Exists("/etc/docker"))
        {
            return "/etc/docker is missing (it comes with docker.io; the harness mounts a private tmpfs over it)";
        }

        return ToolImage.WhyUnavailable();
    }

    /// <summary>
    /// Creates the namespace, starts dockerd (overlay2, else vfs) and imports <see cref="ToolImage"/>.
    /// </summary>
    /// <exception cref="DockerUnavailableException">The daemon cannot run here; the message says why.</exception>
    public static DockerHost Start()
    {
        if (WhyUnavailable() is { } why)
        {
            throw new DockerUnavailableException(why);
        }

        string name = $"rb{Environment.ProcessId}-dock{Interlocked.Increment(ref s_counter)}";
        string folder = Path.Combine(Path.GetTempPath(), name);
        Directory.CreateDirectory(folder);
        var host = new DockerHost(name, folder);
        DockerCleanup.StartWatchdog(name, name, folder);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => host.Dispose();
        try
        {
            host.CreateNetwork();
            host.StartDaemon();
            ToolImage.Build(folder, tar => host.Docker("import", tar, ToolImage.Name));
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>Runs <c>docker ARGS</c> against this daemon.</summary>
    public CommandResult Docker(params string[] arguments) =>
        HostCommand.Run(DockerCli, ["-H", Socket, .. arguments], TimeSpan.FromSeconds(60),
            new Dictionary<string, string> { ["DOCKER_CONFIG"] = Path.Combine(_folder, "cli") });

    /// <summary>
    /// Starts a detached container of <see cref="ToolImage"/> on the default bridge and returns its pid and address.
    /// </summary>
    public DockerContainer RunContainer(string name, IEnumerable<string> runOptions, params string[] command)
    {
        Docker(["run", "-d", "--name", name, .. runOptions, ToolImage.Name, .. command]).Checked($"docker run {name}");
        string[] facts = Docker("inspect", "-f", "{{.State.Pid}} {{.NetworkSettings.IPAddress}}", name).Checked($"docker inspect {name}").Split(' ');
        return new DockerContainer(name, int.Parse(facts[0], CultureInfo.InvariantCulture), IPAddress.Parse(facts[1]));
    }

    /// <summary>Runs a command in a running container (<c>docker exec</c>).</summary>
    public CommandResult Exec(DockerContainer container, params string[] command) => Docker(["exec", container.Name, .. command]);

    /// <summary>Removes a container (and its published ports' docker-proxy).</summary>
    public void Remove(DockerContainer container) => Docker("rm", "-f", container.Name);

    /// <summary>Runs a host program inside the host namespace (<c>ip netns exec</c>).</summary>
    public CommandResult InNamespace(string program, params string[] arguments) =>
        HostCommand.Run("ip", ["netns", "exec", Namespace, program, .. arguments]);

    /// <summary>The last lines dockerd logged, for failure messages.</summary>
    public string LogTail()
    {
        string log = Path.Combine(_folder, "dockerd.log");
        return File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(15)) : "(no log)";
    }

    private void CreateNetwork()
    {
        HostCommand.Run("ip", ["netns", "add", Namespace]).Checked($"ip netns add {Namespace}");
        string[][] steps =
        [
            ["link", "set", "lo", "up"],
            ["link", "add", "eth0", "type", "veth", "peer", "name", "lan0"],
            ["addr", "add", $"{UplinkAddress}/24", "dev", "eth0"],
            ["link", "set", "eth0", "up"],
            ["link", "set", "lan0", "up"],
            ["route", "add", "default", "via", "198.51.100.1", "dev", "eth0"],
        ];
        foreach (string[] step in steps)
        {
            HostCommand.Run("ip", ["-n", Namespace, .. step]).Checked($"ip {string.Join(' ', step)}");
        }
    }

    private void StartDaemon()
    {
        foreach (string driver in (string[])["overlay2", "vfs"])
        {
            StorageDriver = driver;
            if (TryStartDaemon(driver))
            {
                return;
            }
        }

        throw new DockerUnavailableException($"dockerd did not start: {LogTail()}");
    }

    private bool TryStartDaemon(string driver)
    {
        string data = Path.Combine(_folder, "data");
        string exec = Path.Combine(_folder, "exec");
        string[] flags =
        [
            "--data-root", data, "--exec-root", exec, "--pidfile", Path.Combine(_folder, "dockerd.pid"), "-H", Socket,
            "--bip", $"{BridgeAddress}/24", "--default-address-pool", "base=203.0.113.0/24,size=28",
            "--iptables=true", "--ip6tables=false", "--ipv6=false", "--cgroup-parent", _cgroupParent,
            "--storage-driver", driver, "--userland-proxy=true",
        ];
        string script =
            $"exec >>{HostCommand.Quote(Path.Combine(_folder, "dockerd.log"))} 2>&1 </dev/null; set -e; " +
            CgroupMounts.Script() +
            "mount -t tmpfs rb-run /run; mount -t tmpfs rb-etc-docker /etc/docker; " +
            $"exec {Dockerd} {string.Join(' ', flags.Select(HostCommand.Quote))}";
        var start = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        // docker-init (tini) as a subreaper reaps whatever dockerd's children leave when they are killed.
        foreach (string argument in (string[])["netns", "exec", Namespace, DockerInit, "-s", "--", "sh", "-c", script])
        {
            start.ArgumentList.Add(argument);
        }

        _daemon = Process.Start(start) ?? throw new InvalidOperationException("could not start dockerd");
        _daemon.StandardInput.Close();
        File.WriteAllText(Path.Combine(_folder, "reaper.pid"), _daemon.Id.ToString(CultureInfo.InvariantCulture));
        DateTime deadline = DateTime.UtcNow.AddSeconds(40);
        while (DateTime.UtcNow < deadline)
        {
            if (_daemon.WaitForExit(300))
            {
                break;
            }

            if (File.Exists(Path.Combine(_folder, "docker.sock")) && Docker("version", "--format", "{{.Server.Version}}").Succeeded)
            {
                return true;
            }
        }

        StopDaemon();
        return false;
    }

    private void StopDaemon()
    {
        HostCommand.Shell(DockerCleanup.KillScript(Namespace, _cgroupParent, _folder), TimeSpan.FromSeconds(30));
        if (_daemon is not null && !_daemon.WaitForExit(5000))
        {
            _daemon.Kill(entireProcessTree: true);
        }

        _daemon?.Dispose();
        _daemon = null;
        foreach (string dir in (string[])["data", "exec"])
        {
            HostCommand.Run("rm", ["-rf", Path.Combine(_folder, dir)]);
        }
    }

    /// <summary>Kills every process the daemon made and removes its namespace, mounts, cgroups and folder.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        HostCommand.Shell(DockerCleanup.Script(Namespace, _cgroupParent, _folder), TimeSpan.FromSeconds(30));
        if (_daemon is not null)
        {
            _daemon.WaitForExit(5000);
            _daemon.Dispose();
        }
    }
}

/// <summary>Thrown when a Docker daemon cannot run on this machine; the message is the reason tests skip with.</summary>
public sealed class DockerUnavailableException(string message) : Exception(message);
