using System.Diagnostics;

namespace Rebound.Shield.Tests.Support;

/// <summary>
/// A program started inside a cgroup: a shell writes its own pid into cgroup.procs and then execs the program, so
/// every socket the program opens belongs to that cgroup from birth. Killed on dispose.
/// </summary>
public sealed class CgroupProcess : IDisposable
{
    private readonly Process _process;

    private CgroupProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public static CgroupProcess Start(string cgroupPath, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("echo $$ > \"$0/cgroup.procs\" && exec \"$@\"");
        start.ArgumentList.Add(cgroupPath);
        start.ArgumentList.Add(program);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return new CgroupProcess(Process.Start(start) ?? throw new InvalidOperationException($"cannot start {program}"));
    }

    /// <summary>The next line the program prints; fails the test with its stderr when it exits or stays silent.</summary>
    public string ReadLine(TimeSpan? timeout = null)
    {
        var read = _process.StandardOutput.ReadLineAsync();
        if (!read.Wait(timeout ?? TimeSpan.FromSeconds(30)) || read.Result is null)
        {
            string error = _process.HasExited ? _process.StandardError.ReadToEnd() : "(still running)";
            throw new InvalidOperationException($"the program printed no line; stderr: {error}");
        }

        return read.Result;
    }

    public void Dispose()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
