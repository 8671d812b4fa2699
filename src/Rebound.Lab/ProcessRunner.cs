using System.Diagnostics;

namespace Rebound.Lab;

/// <summary>The result of running an external program to completion.</summary>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>Runs external programs (ip, iptables, conntrack, nc, dig…) with a timeout and captured output.</summary>
public static class ProcessRunner
{
    /// <summary>Runs <paramref name="program"/> and returns its result; never throws for a non-zero exit.</summary>
    public static ProcessResult Run(string program, IEnumerable<string> arguments, TimeSpan? timeout = null, string? standardInput = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = standardInput is not null,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new ProcessResult(127, "", $"{program}: {e.Message}");
        }

        if (standardInput is not null)
        {
            process.StandardInput.Write(standardInput);
            process.StandardInput.Close();
        }

        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new ProcessResult(124, output.Result, error.Result + $"\n{program} timed out");
        }

        return new ProcessResult(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Runs <paramref name="program"/> and throws <see cref="InvalidOperationException"/> with its stderr if it fails.</summary>
    public static string RunChecked(string program, params string[] arguments)
    {
        ProcessResult result = Run(program, arguments);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(
                $"`{program} {string.Join(' ', arguments)}` failed ({result.ExitCode}): {result.StandardError.Trim()}");
        }

        return result.StandardOutput;
    }

    /// <summary>True when <paramref name="program"/> is found on PATH.</summary>
    public static bool IsInstalled(string program) => FindOnPath(program) is not null;

    /// <summary>The full path of <paramref name="program"/> on PATH (or the usual sbin folders), or null.</summary>
    public static string? FindOnPath(string program)
    {
        IEnumerable<string> folders = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"]);
        return folders.Select(folder => Path.Combine(folder, program)).FirstOrDefault(File.Exists);
    }
}
