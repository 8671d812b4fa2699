using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Rebound.Lab;
using Rebound.Shield;

namespace Rebound.Cli.Lab;

/// <summary>Which unmodified program a shield row runs as its server.</summary>
internal enum OutsideProgram
{
    /// <summary><c>rebound echo --naive</c>: recvfrom/sendto, the kernel picks the source (the bug).</summary>
    NaiveEcho,

    /// <summary>A python3 echo server on 0.0.0.0: a program that is not Rebound's.</summary>
    Python,
}

/// <summary>How a shield row's server runs: which program, and whether the shield is on its cgroup.</summary>
/// <param name="Program">The unmodified server.</param>
/// <param name="Shielded">Attach the shield to the server's cgroup (false shows the same process failing).</param>
internal sealed record OutsideServerSpec(OutsideProgram Program, bool Shielded = true);

/// <summary>
/// A server the lab cannot change, run as its own process inside the host namespace and inside a cgroup the lab made,
/// with <see cref="CgroupShield"/> attached to that cgroup for the row's duration (never pinned: it goes away with the
/// lab, even on SIGKILL). Disposing detaches the shield, kills the server and removes the cgroup.
/// </summary>
internal sealed class LabOutsideServer : IDisposable
{
    private const string PythonEcho =
        "import socket, sys\n" +
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', int(sys.argv[1])))\n" +
        "print('listening', flush=True)\n" +
        "while True:\n    data, peer = s.recvfrom(2048); s.sendto(data, peer)\n";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly LabCgroup _cgroup;
    private readonly Process _process;
    private readonly CgroupShield? _shield;

    private LabOutsideServer(LabCgroup cgroup, Process process, CgroupShield? shield, int port, IReadOnlyList<string> commands)
    {
        _cgroup = cgroup;
        _process = process;
        _shield = shield;
        Port = port;
        Commands = commands;
    }

    /// <summary>The port it serves.</summary>
    public int Port { get; }

    /// <summary>What was run, as a user would type it, for the row's trace.</summary>
    public IReadOnlyList<string> Commands { get; }

    /// <summary>What the shield's counters say about the row (null without a shield), for the row's "why".</summary>
    public string? ShieldFinding() => _shield?.ReadCounters() is { } c
        ? $"shield: {c.Recorded} recorded, {c.SourceSet} sources set, {c.Missed} missed"
        : null;

    /// <summary>Starts <paramref name="spec"/>'s program bound to <paramref name="bindTo"/> (port 0: a free one) inside <paramref name="host"/>.</summary>
    public static LabOutsideServer Start(NetworkNamespace host, OutsideServerSpec spec, IPEndPoint bindTo)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(spec);
        int port = bindTo.Port != 0 ? bindTo.Port : host.Run(() => FreePort(bindTo));
        var listen = new IPEndPoint(bindTo.Address, port);
        string[] program = spec.Program == OutsideProgram.Python
            ? ["python3", "-c", PythonEcho, port.ToString(CultureInfo.InvariantCulture)]
            : [.. SelfCommand(), "echo", "--naive", "--listen", listen.ToString()];

        LabCgroup cgroup = LabCgroup.Create();
        Process? process = null;
        CgroupShield? shield = null;
        try
        {
            var commands = new List<string>();
            if (spec.Shielded)
            {
                // Attached before the server starts, as `rebound shield attach --cgroup` would be on a running one.
                shield = CgroupShield.Attach(cgroup.Path);
                commands.Add($"rebound shield attach --cgroup {cgroup.Path} --foreground");
            }

            process = StartInCgroup(cgroup.Path, ["ip", "netns", "exec", host.Name, .. program]);
            commands.Add(spec.Program == OutsideProgram.Python
                ? $"python3 (echo server, recvfrom/sendto) on 0.0.0.0:{port}, in cgroup {Path.GetFileName(cgroup.Path)}"
                : $"rebound echo --naive --listen {listen}, in cgroup {Path.GetFileName(cgroup.Path)}");
            WaitUntilListening(process, spec.Program == OutsideProgram.Python ? process.StandardOutput : process.StandardError);
            return new LabOutsideServer(cgroup, process, shield, port, commands);
        }
        catch
        {
            shield?.Dispose();
            Stop(process);
            cgroup.Dispose();
            throw;
        }
    }

    /// <summary>Detaches the shield, stops the server and removes its cgroup.</summary>
    public void Dispose()
    {
        _shield?.Dispose();
        Stop(_process);
        _cgroup.Dispose();
    }

    /// <summary>
    /// How to run this very CLI again: the process itself when it is the native binary or the app host, else (under a
    /// test host or <c>dotnet rebound.dll</c>) the app host next to the assembly, or dotnet with the assembly.
    /// </summary>
    internal static string[] SelfCommand()
    {
        string? self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) is not ("dotnet" or "testhost"))
        {
            return [self];
        }

        string appHost = Path.Join(AppContext.BaseDirectory, "Rebound.Cli");
        return File.Exists(appHost) ? [appHost] : [self ?? "dotnet", Path.Join(AppContext.BaseDirectory, "Rebound.Cli.dll")];
    }

    private static Process StartInCgroup(string cgroupPath, string[] command)
    {
        // The shell enters the cgroup, then execs the program: every socket it opens belongs to the cgroup from birth.
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in (string[])["-c", "echo $$ > \"$0/cgroup.procs\" && exec \"$@\"", cgroupPath, .. command])
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"cannot start {command[0]}");
    }

    private static void WaitUntilListening(Process process, StreamReader readiness)
    {
        Task<string?> line = readiness.ReadLineAsync();
        if (!line.Wait(StartTimeout) || line.Result is null)
        {
            string error = process.HasExited ? process.StandardError.ReadToEnd().Trim() : "(no output)";
            throw new InvalidOperationException($"the server did not start: {error}");
        }
    }

    private static int FreePort(IPEndPoint bindTo)
    {
        using var probe = new Socket(bindTo.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(bindTo.Address, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static void Stop(Process? process)
    {
        if (process is null)
        {
            return;
        }

        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }

        process.Dispose();
    }
}
