using System.Diagnostics;

namespace Rebound.Cli.Tests.Support;

/// <summary>Runs the real <c>rebound</c> CLI (Rebound.Cli.dll, copied beside the tests) as a child process.</summary>
internal static class CliProcess
{
    public static string AssemblyPath => Path.Combine(AppContext.BaseDirectory, "Rebound.Cli.dll");

    /// <summary>Starts <c>rebound ARGS</c> with redirected streams; the caller kills or waits for it.</summary>
    public static Process Start(params string[] arguments) => StartIn(null, arguments);

    /// <summary>Starts it inside a network namespace when <paramref name="netns"/> is set (<c>ip netns exec</c>).</summary>
    public static Process StartIn(string? netns, params string[] arguments) =>
        Process.Start(StartInfo(netns, AssemblyPath, arguments)) ?? throw new InvalidOperationException("could not start the CLI");

    /// <summary>
    /// <c>dotnet ASSEMBLY ARGS</c> with every stream redirected, inside a network namespace when <paramref name="netns"/>
    /// is set (<c>ip netns exec</c>, which execs: the process id is dotnet's).
    /// </summary>
    public static ProcessStartInfo StartInfo(string? netns, string assembly, IEnumerable<string> arguments)
    {
        // Through `env --default-signal=INT` (which execs: the process id stays the CLI's): a test run started in the
        // background by a non-interactive shell (`bash scripts/test.sh &`, nohup) inherits SIGINT ignored, and the
        // runtime keeps an inherited SIG_IGN, so the Ctrl-C tests would wait for an exit that never comes.
        var start = new ProcessStartInfo(netns is null ? "env" : "ip")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] prefix = netns is null
            ? ["--default-signal=INT", "dotnet"]
            : ["netns", "exec", netns, "env", "--default-signal=INT", "dotnet"];
        foreach (string part in prefix)
        {
            start.ArgumentList.Add(part);
        }

        start.ArgumentList.Add(assembly);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    /// <summary>Runs <c>rebound ARGS</c> to completion with <paramref name="input"/> on stdin.</summary>
    public static (int ExitCode, string Output, string Error) Run(string input, params string[] arguments)
    {
        using Process process = Start(arguments);
        process.StandardInput.Write(input);
        process.StandardInput.Close();
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"rebound {string.Join(' ', arguments)} did not finish");
        }

        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Waits until the process writes a line containing <paramref name="marker"/> to stderr.</summary>
    public static void WaitForStderr(Process process, string marker)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            string? line = process.StandardError.ReadLine();
            if (line is null)
            {
                throw new InvalidOperationException($"rebound exited ({(process.HasExited ? process.ExitCode : -1)}) before printing '{marker}'");
            }

            if (line.Contains(marker, StringComparison.Ordinal))
            {
                return;
            }
        }

        throw new TimeoutException($"rebound never printed '{marker}'");
    }
}
