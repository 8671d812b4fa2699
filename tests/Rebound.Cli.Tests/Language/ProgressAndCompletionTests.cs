using System.Net;
using System.Net.Sockets;
using Rebound.Cli.Tests.Support;
using Rebound.TestSupport;

namespace Rebound.Cli.Tests.Language;

/// <summary>
/// What a person at a terminal gets besides tables, in a real terminal (tmux): doctor's progress line on stderr while
/// its probes wait (erased before the report; absent when stderr is not a terminal), and shell completion in a real
/// bash and zsh that sourced <c>rebound completion</c> (and the packaged scripts, loaded as the system loads them):
/// <c>rebound sh&lt;TAB&gt;</c> becomes <c>rebound shield</c>.
/// </summary>
public sealed class ProgressAndCompletionTests
{
    [ToolFact("tmux")]
    public void Doctor_shows_a_progress_line_on_a_terminal_while_probes_wait_and_erases_it()
    {
        // A listener that never answers: each probe waits its whole timeout, so the run lasts over a second.
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Any, 0));
        string port = ((IPEndPoint)silent.LocalEndPoint!).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string report = Path.Combine(Path.GetTempPath(), $"rb-doctor-{Guid.NewGuid():N}.json");
        try
        {
            using TmuxTerminal terminal = TmuxTerminal.Run(120, $"{TmuxTerminal.Cli} doctor -4 -p {port} -w 4 --json > {report}");

            terminal.WaitFor(s => s.Any(l => l.StartsWith("rebound doctor: probing ", StringComparison.Ordinal)), "the progress line");
            (int exit, string[] screen) = terminal.WaitForExit();

            Assert.Equal(0, exit);
            Assert.DoesNotContain(screen, l => l.Contains("rebound doctor: probing", StringComparison.Ordinal));
            Assert.StartsWith("{\"schemaVersion\":1", File.ReadAllText(report), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(report);
        }
    }

    [Fact]
    public void Doctor_writes_no_progress_when_stderr_is_not_a_terminal()
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Any, 0));
        string port = ((IPEndPoint)silent.LocalEndPoint!).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        (int exit, _, string error) = CliProcess.Run("", "doctor", "-4", "-p", port, "-w", "2", "--json");

        Assert.Equal(0, exit);
        Assert.DoesNotContain("probing", error, StringComparison.Ordinal);
        Assert.DoesNotContain("\r", error, StringComparison.Ordinal);
    }

    [ToolFact("tmux", "bash")]
    public void Bash_completes_rebound_sh_to_shield() => Completes("bash --norc --noprofile", "eval \"$(rebound completion bash)\"");

    [ToolFact("tmux", "zsh")]
    public void Zsh_completes_rebound_sh_to_shield() =>
        Completes("zsh -f", "autoload -Uz compinit && compinit -u && eval \"$(rebound completion zsh)\"");

    // The scripts the .deb installs (packaging/completions, equal to `rebound completion` by CliReferenceTests), loaded
    // the way the system loads them: bash-completion sources the file; zsh autoloads _rebound from $fpath.
    [ToolFact("tmux", "bash")]
    public void The_packaged_bash_script_completes_when_sourced() =>
        Completes("bash --norc --noprofile", $"source '{Packaged("rebound.bash")}'");

    [ToolFact("tmux", "zsh")]
    public void The_packaged_zsh_script_completes_when_autoloaded_from_fpath() =>
        Completes("zsh -f", $"fpath=('{Path.GetDirectoryName(Packaged("_rebound"))}' $fpath) && autoload -Uz compinit && compinit -u -D");

    [ToolFact("bash")]
    public void The_packaged_bash_function_answers_for_COMP_WORDS()
    {
        Assert.Equal(["shield"], BashCompletions("rebound sh"));
        Assert.Equal(["attach"], BashCompletions("rebound shield at"));
        Assert.Contains("--metrics-listen", BashCompletions("rebound proxy --metr"));
        Assert.Equal(["systemd"], BashCompletions("rebound proxy --log-format sy"));
    }

    private static string Packaged(string file) => Path.Combine(RepositoryRoot.Path, "packaging", "completions", file);

    /// <summary>What the packaged bash function offers for <paramref name="line"/>, called as bash calls it on Tab.</summary>
    private static string[] BashCompletions(string line)
    {
        string bin = Directory.CreateTempSubdirectory("rb-completion-").FullName;
        try
        {
            WriteWrapper(bin);
            string[] words = line.Split(' ');
            string script = $"source '{Packaged("rebound.bash")}'; COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}; " +
                            $"COMP_WORDS=({string.Join(' ', words.Select(w => $"'{w}'"))}); COMP_CWORD={words.Length - 1}; " +
                            "_rebound_complete; printf '%s\\n' \"${COMPREPLY[@]}\"";
            var start = new System.Diagnostics.ProcessStartInfo("bash", ["-c", script]) { RedirectStandardOutput = true, UseShellExecute = false };
            start.Environment["PATH"] = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}";
            using var bash = System.Diagnostics.Process.Start(start)!;
            string output = bash.StandardOutput.ReadToEnd();
            bash.WaitForExit();
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
        }
    }

    private static void WriteWrapper(string bin)
    {
        string wrapper = Path.Combine(bin, "rebound");
        File.WriteAllText(wrapper, $"#!/bin/sh\nexec {TmuxTerminal.Cli} \"$@\"\n");
        Assert.True(Rebound.Lab.ProcessRunner.Run("chmod", ["+x", wrapper]).Succeeded);
    }

    private static void Completes(string shell, string setup)
    {
        // `rebound` on PATH, as an installed command would be.
        string bin = Directory.CreateTempSubdirectory("rb-completion-").FullName;
        try
        {
            WriteWrapper(bin);
            using TmuxTerminal terminal = TmuxTerminal.Shell(120, shell, $"{bin}:{Environment.GetEnvironmentVariable("PATH")}");

            terminal.Type(setup, "Enter", "echo ready-for-tab", "Enter");
            terminal.WaitFor(s => s.Any(l => l == "ready-for-tab"), "the shell ready");
            terminal.Type("rebound sh", "Tab");
            terminal.WaitFor(s => s.Any(l => l.TrimEnd().EndsWith("rebound shield", StringComparison.Ordinal)), "rebound shield completed");

            // Values complete too: the --log-format words, lower case.
            terminal.Type("\u0015"); // Ctrl-U: clear the line
            terminal.Type("rebound proxy --log-format sy", "Tab");
            terminal.WaitFor(s => s.Any(l => l.Contains("rebound proxy --log-format systemd", StringComparison.Ordinal)), "--log-format systemd completed");

            // A FILE argument, where rebound has nothing to suggest, completes file names.
            File.WriteAllBytes(Path.Combine(bin, "capture-for-tab.pcap"), []);
            terminal.Type("\u0015");
            terminal.Type($"rebound analyze {bin}/capture-for", "Tab");
            terminal.WaitFor(s => s.Any(l => l.Contains($"rebound analyze {bin}/capture-for-tab.pcap", StringComparison.Ordinal)), "the file name completed");
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
        }
    }
}
