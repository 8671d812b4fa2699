using System.Diagnostics;

namespace Rebound.TestSupport.Docker;

/// <summary>What one external command printed and returned.</summary>
public sealed record CommandResult(int ExitCode, string Output, string Error)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>Throws with the command's stderr unless it succeeded; returns its stdout trimmed.</summary>
    public string Checked(string what) =>
        Succeeded ? Output.Trim() : throw new InvalidOperationException($"{what} failed ({ExitCode}): {Error.Trim()} {Output.Trim()}");
}

/// <summary>
/// Runs host programs (ip, tar, docker, sh) to completion with a bound, for the Docker harness. Kept apart from the CLI's
/// own process runner so the harness depends on nothing but the base library.
/// </summary>
public static class HostCommand
{
    /// <summary>Runs <paramref name="program"/>; never throws for a non-zero exit (127 when it cannot start, 124 on timeout).</summary>
    public static CommandResult Run(string program, IEnumerable<string> arguments, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new CommandResult(127, "", $"{program}: {e.Message}");
        }

        process.StandardInput.Close();
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new CommandResult(124, output.Result, error.Result + $"\n{program} timed out");
        }

        return new CommandResult(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Runs a shell script (<c>sh -c</c>).</summary>
    public static CommandResult Shell(string script, TimeSpan? timeout = null) => Run("sh", ["-c", script], timeout);

    /// <summary>Quotes a word for <c>sh</c>.</summary>
    public static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
