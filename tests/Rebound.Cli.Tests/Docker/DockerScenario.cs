using System.Diagnostics;
using System.Text.Json;
using Rebound.Cli.Infrastructure;
using Rebound.Cli.Tests.Support;
using Rebound.TestSupport.Docker;
using Rebound.Lab;

namespace Rebound.Cli.Tests.Docker;

/// <summary>Steps the Docker tests share: host servers in the daemon's namespace, and the report's client in a container.</summary>
internal static class DockerScenario
{
    /// <summary>Starts <c>rebound ARGS</c> in the host namespace and waits for its start line.</summary>
    public static Process StartOnHost(DockerHost host, string marker, params string[] arguments)
    {
        Process process = CliProcess.StartIn(host.Namespace, arguments);
        try
        {
            CliProcess.WaitForStderr(process, marker);
            return process;
        }
        catch
        {
            Stop(process);
            throw;
        }
    }

    /// <summary>Kills a server started with <see cref="StartOnHost"/>.</summary>
    public static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }

        process.Dispose();
    }

    /// <summary>A container that only sleeps, for clients to <c>docker exec</c> in.</summary>
    public static DockerContainer StartClient(DockerHost host, string name) => host.RunContainer(name, [], "sleep", "600");

    /// <summary>
    /// Starts a container running the real <c>rebound ARGS</c> (the host's .NET and test binaries mounted read-only) and
    /// waits until its log shows it listening.
    /// </summary>
    public static DockerContainer StartReboundIn(DockerHost host, string name, string[] runOptions, params string[] arguments)
    {
        DockerContainer container = host.RunContainer(name, [.. runOptions, .. ToolImage.DotnetMounts], ToolImage.Rebound(arguments));
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        string log = "";
        while (DateTime.UtcNow < deadline)
        {
            CommandResult logs = host.Docker("logs", name);
            log = logs.Output + logs.Error;
            if (log.Contains("listening on", StringComparison.Ordinal))
            {
                return container;
            }

            Thread.Sleep(200);
        }

        host.Remove(container);
        throw new TimeoutException($"rebound never started in container {name}: {log}");
    }

    /// <summary>
    /// The field report's client: OpenBSD <c>nc -u</c> (a connected socket) in the container sends "hello" and "hi" as
    /// two datagrams to <paramref name="address"/>:<paramref name="port"/> and prints what it gets back
    /// (busybox's sh would run its own applet for a bare <c>nc</c>, hence the full path).
    /// </summary>
    public static string Netcat(DockerHost host, DockerContainer client, string address, int port) =>
        host.Exec(client, "sh", "-c", $"(echo hello; sleep 0.3; echo hi; sleep 0.5) | /usr/bin/nc -u -q1 {address} {port}").Output;

    /// <summary>Runs <c>rebound analyze --json</c> on a capture, expects exit 1 and one finding, and returns it.</summary>
    public static JsonElement SingleFinding(string captureFile)
    {
        ProcessResult analysis = ProcessRunner.Run("dotnet", [CliProcess.AssemblyPath, "analyze", "--json", captureFile]);
        Assert.True(analysis.ExitCode == ExitCodes.Finding, analysis.StandardOutput + analysis.StandardError);
        using var json = JsonDocument.Parse(analysis.StandardOutput);
        return Assert.Single(json.RootElement.GetProperty("findings").EnumerateArray()).Clone();
    }

    /// <summary>Asserts a finding (analyze or trace JSON) is the request to <paramref name="server"/> answered from <paramref name="replySource"/>.</summary>
    public static void AssertFinding(JsonElement finding, DockerContainer client, string server, string replySource)
    {
        Assert.Equal(server, finding.GetProperty("server").GetString());
        Assert.Equal(replySource, finding.GetProperty("replySource").GetString());
        Assert.StartsWith($"{client.Address}:", finding.GetProperty("client").GetString(), StringComparison.Ordinal);
    }

    /// <summary>Runs <c>rebound doctor --json ARGS</c> (in <paramref name="netns"/> when set) and returns its exit code and report.</summary>
    public static (int Exit, JsonElement Report) Doctor(string? netns, params string[] arguments)
    {
        using Process doctor = CliProcess.StartIn(netns, ["doctor", "--json", .. arguments]);
        doctor.StandardInput.Close();
        Task<string> output = doctor.StandardOutput.ReadToEndAsync();
        Task<string> error = doctor.StandardError.ReadToEndAsync();
        Assert.True(doctor.WaitForExit(TimeSpan.FromSeconds(60)), "doctor did not finish");
        Assert.True(output.Result.Length > 0, error.Result);
        return (doctor.ExitCode, JsonDocument.Parse(output.Result).RootElement.Clone());
    }

    /// <summary>The report's listener on <paramref name="port"/>.</summary>
    public static JsonElement Listener(JsonElement report, int port) =>
        report.GetProperty("listeners").EnumerateArray().Single(l => l.GetProperty("port").GetInt32() == port);
}
