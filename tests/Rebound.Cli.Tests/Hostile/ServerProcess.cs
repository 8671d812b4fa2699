using System.Diagnostics;
using System.Text;
using Rebound.Lab;

namespace Rebound.Cli.Tests.Hostile;

/// <summary>
/// A server program (the <c>rebound</c> CLI, or a sample's assembly beside the tests) running inside a namespace, with
/// both output streams read all along (a server must never block on a full pipe), and the signals a test needs:
/// freeze and resume (SIGSTOP/SIGCONT, so datagrams queue up deterministically), SIGTERM and SIGINT.
/// </summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly StringBuilder _stdout = new();
    private readonly Task _readers;

    private ServerProcess(string? netns, string assembly, IEnumerable<string> arguments)
    {
        ProcessStartInfo start = Support.CliProcess.StartInfo(netns, Path.Combine(AppContext.BaseDirectory, assembly), arguments);
        Command = string.Join(' ', arguments.Prepend(Path.GetFileNameWithoutExtension(assembly)));
        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {assembly}");
        _readers = Task.WhenAll(Pump(_process.StandardError, _stderr), Pump(_process.StandardOutput, _stdout));
    }

    /// <summary>How the test started it, for messages.</summary>
    public string Command { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the program wrote to stderr so far.</summary>
    public string Error
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Everything the program wrote to stdout so far.</summary>
    public string Output
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>Starts <c>rebound ARGS</c> in <paramref name="netns"/>.</summary>
    public static ServerProcess Cli(string? netns, params string[] arguments) => new(netns, "Rebound.Cli.dll", arguments);

    /// <summary>Starts a program whose assembly is copied beside the tests (DnsResponder.dll, AotEcho.dll).</summary>
    public static ServerProcess Program(string? netns, string assembly, params string[] arguments) => new(netns, assembly, arguments);

    /// <summary>Waits until stderr holds <paramref name="marker"/>; throws with what it printed if the program exits first.</summary>
    public void WaitForError(string marker, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        while (!Error.Contains(marker, StringComparison.Ordinal))
        {
            if (_process.HasExited || deadline.Elapsed > (timeout ?? TimeSpan.FromSeconds(30)))
            {
                throw new InvalidOperationException(
                    $"{Command} {(_process.HasExited ? $"exited ({_process.ExitCode})" : "is still silent")} before printing '{marker}':\n{Error}");
            }

            Thread.Sleep(20);
        }
    }

    /// <summary>
    /// SIGSTOP, then waits until every thread is stopped: kill(2) returns before they are, and a thread still running
    /// would take the datagrams the test queues next.
    /// </summary>
    public void Freeze()
    {
        Signal("STOP");
        if (!SpinWait.SpinUntil(AllThreadsStopped, TimeSpan.FromSeconds(10)))
        {
            throw new TimeoutException($"{Command}: not every thread stopped after SIGSTOP");
        }
    }

    private bool AllThreadsStopped()
    {
        try
        {
            // /proc/PID/task/TID/stat: "TID (name) STATE ...": the state follows the last ')'.
            return Directory.GetDirectories($"/proc/{_process.Id}/task").All(task =>
            {
                string stat = File.ReadAllText(Path.Combine(task, "stat"));
                return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('T');
            });
        }
        catch (IOException)
        {
            return false; // a thread ended while we looked: look again
        }
    }

    public void Resume() => Signal("CONT");

    /// <summary>Sends SIGNAME (TERM, INT, STOP, CONT) with kill(1).</summary>
    public void Signal(string name)
    {
        ProcessResult kill = ProcessRunner.Run("kill", [$"-{name}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (!kill.Succeeded)
        {
            throw new InvalidOperationException($"kill -{name} {_process.Id}: {kill.StandardError}");
        }
    }

    /// <summary>Waits for the exit and the last output; returns the exit code.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            throw new TimeoutException($"{Command} did not exit within {timeout.TotalSeconds} s:\n{Error}");
        }

        _readers.Wait(TimeSpan.FromSeconds(10));
        return _process.ExitCode;
    }

    private static async Task Pump(StreamReader reader, StringBuilder into)
    {
        char[] buffer = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            lock (into)
            {
                into.Append(buffer, 0, n);
            }
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            try
            {
                Signal("CONT");
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
            }
        }

        _process.Dispose();
    }
}
