using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Rebound.Cli.Tests.Support;
using Rebound.TestSupport;

namespace Rebound.Cli.Tests.Language;

/// <summary>
/// The tables as people see them, in a real terminal (tmux) 80 and 160 columns wide: no endpoint is ever split across
/// lines, rows stay short, doctor's process column uses the width it has; and as scripts see them: plain ss-style
/// columns when piped, or a table as wide as <c>COLUMNS</c> says. The old tables split <c>192.0.2.1:550</c>/<c>60</c>
/// at 80 columns and cut the process at ~48 characters at 160.
/// </summary>
public sealed partial class TerminalTableTests
{
    [ToolFact("tmux")]
    public void Doctor_socket_rows_stay_one_line_at_80_columns_and_use_the_width_at_160()
    {
        // A wildcard socket owned by this test process, whose command line is long (dotnet exec … testhost.dll …).
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Any, 0));
        string endpoint = $"0.0.0.0:{((IPEndPoint)socket.LocalEndPoint!).Port}";

        foreach (int columns in new[] { 80, 160 })
        {
            using TmuxTerminal terminal = TmuxTerminal.Run(columns, $"{TmuxTerminal.Cli} doctor --no-probe", rows: 200);
            (int exit, string[] screen) = terminal.WaitForExit();
            Assert.Equal(0, exit);

            string[] table = TableBody(screen);
            Assert.NotEmpty(table);
            Assert.All(table, row => Assert.Matches(RowStartsWithAnEndpoint(), row)); // no wrapped continuation lines
            string ours = Assert.Single(table, row => row.Contains($"│ {endpoint} ", StringComparison.Ordinal));
            string process = ours.Split('│')[3].Trim();
            Assert.StartsWith($"{Environment.ProcessId}/", process, StringComparison.Ordinal);
            Assert.True(ours.Length <= columns, $"{ours.Length} > {columns}: {ours}");
            if (columns == 160)
            {
                Assert.True(process.Length > 60, $"the process column did not use the width it has: '{process}'");
            }
        }
    }

    [NamespaceFact("tmux")]
    public void Lab_rows_keep_every_address_whole_at_80_and_160_columns()
    {
        foreach (int columns in new[] { 80, 160 })
        {
            using TmuxTerminal terminal = TmuxTerminal.Run(columns, $"{TmuxTerminal.Cli} lab --scenario 1");
            (int exit, string[] screen) = terminal.WaitForExit();
            Assert.True(exit == 0, string.Join('\n', screen));

            string[] table = TableBody(screen);
            string row = Assert.Single(table, l => l.StartsWith("│ 1 ", StringComparison.Ordinal));
            Assert.Matches(@"│ 192\.0\.2\.1:\d+ +│", row); // the reply source, whole, in its cell
            Assert.True(table.Length <= 2, $"row 1 takes {table.Length} lines:\n{string.Join('\n', table)}");
            Assert.All(screen, l => Assert.True(l.Length <= columns));
            if (columns == 80)
            {
                Assert.Contains("fails ✓", row, StringComparison.Ordinal);
                Assert.Contains(screen, l => l.StartsWith("1 ", StringComparison.Ordinal) && l.Contains("reply from 192.0.2.1", StringComparison.Ordinal));
            }
            else
            {
                Assert.Contains("fails (as expected)", row, StringComparison.Ordinal);
                Assert.Contains("reply from", row, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Piped_without_COLUMNS_the_table_is_plain_columns_with_nothing_cut()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Any, 0));
        string endpoint = $"0.0.0.0:{((IPEndPoint)socket.LocalEndPoint!).Port}";

        (int exit, string output, string error) = Run(null, "doctor", "--no-probe");

        Assert.True(exit == 0, error);
        Assert.DoesNotContain("│", output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^LOCAL +REMOTE +PROCESS +EXPOSURE$", output);
        string ours = Assert.Single(output.Split('\n'), l => l.StartsWith(endpoint + " ", StringComparison.Ordinal));
        Assert.Matches($@"^{Regex.Escape(endpoint)} +\* +{Environment.ProcessId}/\S", ours);
        Assert.DoesNotContain("…", ours, StringComparison.Ordinal);
        Assert.EndsWith("wildcard", ours, StringComparison.Ordinal);
    }

    [Fact]
    public void Piped_with_COLUMNS_the_table_is_drawn_that_wide()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Any, 0));

        (int exit, string output, string error) = Run("100", "doctor", "--no-probe");

        Assert.True(exit == 0, error);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("│ Local", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.True(l.Length <= 100, $"{l.Length} > 100: {l}"));
        Assert.Contains(lines, l => l.Length >= 95 && l.StartsWith('│')); // the process column took the width
    }

    /// <summary>The lines of the first table between its header rule (├) and its bottom (└).</summary>
    private static string[] TableBody(string[] screen)
    {
        int header = Array.FindIndex(screen, l => l.StartsWith('├'));
        int bottom = Array.FindIndex(screen, header + 1, l => l.StartsWith('└') || l.StartsWith('╰'));
        Assert.True(header >= 0 && bottom > header, string.Join('\n', screen));
        return screen[(header + 1)..bottom];
    }

    private static (int ExitCode, string Output, string Error) Run(string? columns, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(CliProcess.AssemblyPath);
        arguments.ToList().ForEach(start.ArgumentList.Add);
        start.Environment.Remove("COLUMNS");
        if (columns is not null)
        {
            start.Environment["COLUMNS"] = columns;
        }

        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)));
        return (process.ExitCode, output, error.Result);
    }

    [GeneratedRegex(@"^│ (\S+:\d+|\[[0-9a-f:.%]+\]:\d+) ")]
    private static partial Regex RowStartsWithAnEndpoint();
}
