using System.Diagnostics;
using System.Text.Json;
using Rebound.Cli.Infrastructure;
using Rebound.Cli.Tests.Support;
using Rebound.Lab;

namespace Rebound.Cli.Tests.Lab;

/// <summary>
/// <c>rebound lab</c> as a user runs it: the built CLI as a child process. Checks the JSON a script would read, and
/// that no namespace outlives the lab when it is terminated (SIGTERM) or killed (SIGKILL, then <c>--cleanup</c>).
/// </summary>
public sealed class LabProcessTests
{
    private static readonly string CliAssembly = Path.Combine(AppContext.BaseDirectory, "Rebound.Cli.dll");

    [NamespaceFact]
    public void Json_for_row_1_reports_the_bridge_source_and_icmp_and_exit_code_0()
    {
        ProcessResult result = ProcessRunner.Run("dotnet", [CliAssembly, "lab", "--scenario", "1", "--json"], TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 0, result.StandardError);
        using JsonDocument json = JsonDocument.Parse(result.StandardOutput);
        Assert.True(json.RootElement.GetProperty("allMatch").GetBoolean());
        JsonElement row = Assert.Single(json.RootElement.GetProperty("rows").EnumerateArray());
        Assert.Equal("fails", row.GetProperty("verdict").GetString());
        Assert.StartsWith("192.0.2.1:", row.GetProperty("replySource").GetString(), StringComparison.Ordinal);
        Assert.True(row.GetProperty("icmpPortUnreachable").GetBoolean());
        Assert.Contains(row.GetProperty("packets").EnumerateArray(), p => p.GetString()!.Contains("unreachable", StringComparison.Ordinal));
    }

    [NamespaceFact]
    public void Verbose_row_7_prints_the_table_and_the_captured_exchange()
    {
        ProcessResult result = ProcessRunner.Run("dotnet", [CliAssembly, "lab", "-s", "7", "--verbose"], TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        Assert.Contains("works (as expected)", result.StandardOutput, StringComparison.Ordinal);
        Assert.Matches(@"IP 192\.0\.2\.3\.\d+ > 198\.51\.100\.13\.\d+: UDP, length 5", result.StandardOutput);
        Assert.Matches(@"IP 198\.51\.100\.13\.\d+ > 192\.0\.2\.3\.\d+: UDP, length 2", result.StandardOutput);
        Assert.DoesNotContain("unreachable", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_scenario_is_a_usage_error()
    {
        ProcessResult result = ProcessRunner.Run("dotnet", [CliAssembly, "lab", "--scenario", "99"], TimeSpan.FromSeconds(60));

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("no such row", result.StandardError, StringComparison.Ordinal);
    }

    [NamespaceFact]
    public void Sigterm_mid_run_leaves_no_namespace_behind()
    {
        using Process lab = StartLabAndWaitForTopology();

        ProcessRunner.Run("kill", ["-TERM", Pid(lab)]);
        Assert.True(lab.WaitForExit(TimeSpan.FromSeconds(20)), "the lab did not exit after SIGTERM");

        Assert.Empty(NamespacesOf(lab.Id));
    }

    [NamespaceFact]
    public void Sigkill_leaves_namespaces_that_cleanup_removes()
    {
        using Process lab = StartLabAndWaitForTopology();

        lab.Kill();
        Assert.True(lab.WaitForExit(TimeSpan.FromSeconds(20)));
        Assert.NotEmpty(NamespacesOf(lab.Id));

        ProcessResult cleanup = ProcessRunner.Run("dotnet", [CliAssembly, "lab", "--cleanup"], TimeSpan.FromSeconds(60));

        Assert.True(cleanup.ExitCode == 0, cleanup.StandardError);
        Assert.Contains($"rb{lab.Id}-", cleanup.StandardOutput, StringComparison.Ordinal);
        Assert.Empty(NamespacesOf(lab.Id));
    }

    private static Process StartLabAndWaitForTopology()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { CliAssembly, "lab", "--json" })
        {
            start.ArgumentList.Add(argument);
        }

        Process lab = Process.Start(start)!;
        lab.OutputDataReceived += (_, _) => { };
        lab.ErrorDataReceived += (_, _) => { };
        lab.BeginOutputReadLine();
        lab.BeginErrorReadLine();

        // Wait until the whole topology (lan, host, container) exists: the lab is then mid-run.
        var clock = Stopwatch.StartNew();
        while (NamespacesOf(lab.Id).Count < 3)
        {
            if (lab.HasExited || clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                lab.Kill();
                Assert.Fail("the lab never built its topology");
            }

            Thread.Sleep(50);
        }

        Thread.Sleep(300);
        return lab;
    }

    private static string Pid(Process process) => process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static List<string> NamespacesOf(int pid) => Directory.Exists("/run/netns")
        ? [.. Directory.EnumerateFiles("/run/netns").Select(Path.GetFileName).OfType<string>().Where(n => n.StartsWith($"rb{pid}-", StringComparison.Ordinal))]
        : [];
}
