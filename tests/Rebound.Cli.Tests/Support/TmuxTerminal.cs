using System.Diagnostics;
using Rebound.Lab;

namespace Rebound.Cli.Tests.Support;

/// <summary>
/// A real terminal of a chosen size: a tmux session on its own server socket (so it never touches anyone else's tmux),
/// running one shell command. Tests read the screen as a person would see it and type keys into it.
/// </summary>
internal sealed class TmuxTerminal : IDisposable
{
    /// <summary>Printed by the shell when the command ends, with its exit code.</summary>
    public const string ExitMarker = "[rebound-test-exit ";

    private readonly string _server = $"rb{Environment.ProcessId}-{Guid.NewGuid():N}"[..20];

    private TmuxTerminal()
    {
    }

    /// <summary>The CLI as a shell word: <c>dotnet /path/Rebound.Cli.dll</c>.</summary>
    public static string Cli => $"dotnet {CliProcess.AssemblyPath}";

    /// <summary>
    /// Starts <paramref name="shellCommand"/> (run by sh, without COLUMNS, so the terminal alone sets the width) in a
    /// terminal <paramref name="columns"/> wide; after it ends the shell prints <see cref="ExitMarker"/> and waits.
    /// </summary>
    public static TmuxTerminal Run(int columns, string shellCommand, int rows = 100)
    {
        var terminal = new TmuxTerminal();
        terminal.Tmux("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", $"{columns}", "-y", $"{rows}",
            $"unset COLUMNS; {shellCommand}; echo \"{ExitMarker}$?]\"; sleep 600");
        return terminal;
    }

    /// <summary>Starts an interactive shell (<c>bash --norc</c>, <c>zsh -f</c>) to type into.</summary>
    public static TmuxTerminal Shell(int columns, string shell, string path)
    {
        var terminal = new TmuxTerminal();
        terminal.Tmux("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", $"{columns}", "-y", "40", $"env -u COLUMNS PATH='{path}' {shell}");
        return terminal;
    }

    /// <summary>What the screen shows now, one string per screen line (wrapped lines stay split, as a person sees them).</summary>
    public string[] Screen() => Tmux("capture-pane", "-p", "-t", "t").TrimEnd('\n').Split('\n');

    /// <summary>Types <paramref name="keys"/> (tmux key names such as <c>Tab</c>, <c>Enter</c>; other text literally).</summary>
    public void Type(params string[] keys)
    {
        foreach (string key in keys)
        {
            if (key is "Tab" or "Enter")
            {
                Tmux("send-keys", "-t", "t", key);
            }
            else
            {
                Tmux("send-keys", "-t", "t", "-l", key);
            }
        }
    }

    /// <summary>Waits (up to a minute, the machine may be loaded) until the screen satisfies <paramref name="condition"/>.</summary>
    public string[] WaitFor(Func<string[], bool> condition, string what)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(60);
        string[] screen = Screen();
        while (!condition(screen))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the terminal never showed {what}:\n{string.Join('\n', screen)}");
            }

            Thread.Sleep(100);
            screen = Screen();
        }

        return screen;
    }

    /// <summary>Waits for the command to end and returns its exit code and the final screen.</summary>
    public (int ExitCode, string[] Screen) WaitForExit()
    {
        string[] screen = WaitFor(s => s.Any(l => l.Contains(ExitMarker, StringComparison.Ordinal)), "the command's end");
        string line = screen.Last(l => l.Contains(ExitMarker, StringComparison.Ordinal));
        int start = line.IndexOf(ExitMarker, StringComparison.Ordinal) + ExitMarker.Length;
        return (int.Parse(line[start..line.IndexOf(']', start)], System.Globalization.CultureInfo.InvariantCulture), screen);
    }

    public void Dispose() => Tmux("kill-server");

    private string Tmux(params string[] arguments)
    {
        ProcessResult result = ProcessRunner.Run("tmux", ["-L", _server, .. arguments], TimeSpan.FromSeconds(30));
        if (result.ExitCode != 0 && arguments[0] != "kill-server")
        {
            throw new InvalidOperationException($"tmux {string.Join(' ', arguments)} failed: {result.StandardError}");
        }

        return result.StandardOutput;
    }
}
