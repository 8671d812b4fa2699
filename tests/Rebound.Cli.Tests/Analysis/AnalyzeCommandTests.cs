using System.Text.Json;
using Rebound.Cli.Infrastructure;
using Rebound.Cli.Tests.Support;
using Rebound.Lab;

namespace Rebound.Cli.Tests.Analysis;

/// <summary>The <c>rebound analyze</c> executable end to end: output for people and machines, and its exit codes.</summary>
public sealed class AnalyzeCommandTests
{
    [Fact]
    public void Naive_capture_exits_1_and_names_the_flow_with_frame_numbers()
    {
        ProcessResult result = Rebound("analyze", Fixtures.PathOf(Fixtures.NaiveDocker0));
        Assert.Equal(ExitCodes.Finding, result.ExitCode);
        Assert.Contains("reply from unexpected source 192.0.2.1, rejected by the client", result.StandardOutput, StringComparison.Ordinal);
        Assert.Matches(@"request\s+frame 1\s", result.StandardOutput);
        Assert.Matches(@"wrong reply\s+frame 2\s", result.StandardOutput);
        Assert.Matches(@"rejected\s+frame 3\s", result.StandardOutput);
        Assert.Contains("1 flow(s) with wrong-source replies, 1 rejected by the client", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Rebound_capture_exits_0()
    {
        ProcessResult result = Rebound("analyze", Fixtures.PathOf(Fixtures.ReboundDocker0));
        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("none: every reply came from the endpoint its request went to", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Capture_piped_on_standard_input_is_read_as_a_stream()
    {
        using System.Diagnostics.Process process = CliProcess.Start("analyze", "-");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        await process.StandardInput.BaseStream.WriteAsync(Fixtures.Bytes(Fixtures.NaiveAnySll));
        process.StandardInput.Close();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(ExitCodes.Finding, process.ExitCode);
        Assert.Contains("reply from unexpected source 192.0.2.1", await output, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_output_is_one_document()
    {
        ProcessResult result = Rebound("analyze", "--json", Fixtures.PathOf(Fixtures.NaiveAnySll2));
        Assert.Equal(ExitCodes.Finding, result.ExitCode);
        using var json = JsonDocument.Parse(result.StandardOutput);
        Assert.Equal("unexpected-source", json.RootElement.GetProperty("findings")[0].GetProperty("kind").GetString());
        Assert.Contains("LinuxSll2", json.RootElement.GetProperty("format").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_file_exits_2_with_the_byte_offset()
    {
        byte[] full = Fixtures.Bytes(Fixtures.NaiveDocker0);
        string path = Path.Combine(Path.GetTempPath(), $"rebound-truncated-{Guid.NewGuid():N}.pcap");
        File.WriteAllBytes(path, full[..120]);
        try
        {
            ProcessResult result = Rebound("analyze", path);
            Assert.Equal(ExitCodes.Usage, result.ExitCode);
            Assert.Contains("the file ends inside packet 2", result.StandardError, StringComparison.Ordinal);
            Assert.Matches(@"at byte offset \d+", result.StandardError);
            Assert.DoesNotContain("Unhandled", result.StandardError, StringComparison.Ordinal);

            ProcessResult json = Rebound("analyze", "--json", path);
            Assert.Equal(ExitCodes.Usage, json.ExitCode);
            using var document = JsonDocument.Parse(json.StandardOutput);
            Assert.Contains("byte offset", document.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Missing_file_empty_file_and_bad_window_exit_2()
    {
        ProcessResult missing = Rebound("analyze", "/nonexistent/capture.pcap");
        Assert.Equal(ExitCodes.Usage, missing.ExitCode);
        Assert.Contains("no such file", missing.StandardError, StringComparison.Ordinal);

        string empty = Path.GetTempFileName();
        try
        {
            ProcessResult result = Rebound("analyze", empty);
            Assert.Equal(ExitCodes.Usage, result.ExitCode);
            Assert.Contains("the file is empty", result.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(empty);
        }

        Assert.Equal(ExitCodes.Usage, Rebound("analyze", "--window", "0", Fixtures.PathOf(Fixtures.NaiveDocker0)).ExitCode);
        Assert.Equal(ExitCodes.Usage, Rebound("analyze").ExitCode);
    }

    private static ProcessResult Rebound(params string[] arguments)
    {
        (int exit, string output, string error) = CliProcess.Run("", arguments);
        return new ProcessResult(exit, output, error);
    }
}
