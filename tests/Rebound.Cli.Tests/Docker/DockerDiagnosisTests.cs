using System.Diagnostics;
using System.Text.Json;
using Rebound.Cli.Infrastructure;
using Rebound.Cli.Tests.Support;
using Rebound.TestSupport.Docker;

namespace Rebound.Cli.Tests.Docker;

/// <summary>
/// doctor, trace and analyze on a real Docker host: doctor pointed at a container (<c>--pid</c>) and run in the host's
/// namespace tells naive servers from Rebound ones; trace on docker0 and analyze of a tcpdump capture of docker0 name the
/// naive host server's reply from 192.0.2.1 to the container's nc.
/// </summary>
[Collection(DockerSuite.Name)]
public sealed class DockerDiagnosisTests(DockerFixture docker)
{
    private const string Uplink = "198.51.100.13";

    [SkippableFact]
    public void Doctor_pid_of_a_container_proves_its_naive_server_wrong_and_its_rebound_server_right()
    {
        DockerHost host = docker.Require();
        DockerContainer naive = DockerScenario.StartReboundIn(host, "doctor-naive", [], "echo", "--naive", "-l", "0.0.0.0:7000");
        DockerContainer fixedServer = DockerScenario.StartReboundIn(host, "doctor-fixed", [], "echo", "-l", "[::]:7000");
        try
        {
            (int exit, JsonElement bad) = DockerScenario.Doctor(null, "--pid", naive.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(ExitCodes.Finding, exit);
            JsonElement probe = Assert.Single(DockerScenario.Listener(bad, 7000).GetProperty("probes").EnumerateArray());
            Assert.Equal("AT RISK", DockerScenario.Listener(bad, 7000).GetProperty("verdict").GetString());
            Assert.Equal(naive.Address.ToString(), probe.GetProperty("address").GetString());
            Assert.Equal("WRONG SOURCE", probe.GetProperty("verdict").GetString());
            Assert.Equal("127.0.0.1:7000", probe.GetProperty("repliedFrom").GetString());

            (exit, JsonElement good) = DockerScenario.Doctor(null, "--pid", fixedServer.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(ExitCodes.Success, exit);
            Assert.Equal("OK", DockerScenario.Listener(good, 7000).GetProperty("verdict").GetString());
        }
        finally
        {
            host.Remove(naive);
            host.Remove(fixedServer);
        }
    }

    [SkippableFact]
    public void Doctor_in_the_host_namespace_proves_the_naive_server_wrong_on_docker0_and_the_uplink()
    {
        DockerHost host = docker.Require();
        Process naive = DockerScenario.StartOnHost(host, "listening on", "echo", "--naive", "-l", "0.0.0.0:56791");
        Process rebound = DockerScenario.StartOnHost(host, "listening on", "echo", "-l", "[::]:56792");
        try
        {
            (int exit, JsonElement report) = DockerScenario.Doctor(host.Namespace, "-p", "56791", "-p", "56792");
            Assert.Equal(ExitCodes.Finding, exit);
            JsonElement bad = DockerScenario.Listener(report, 56791);
            Assert.Equal("AT RISK", bad.GetProperty("verdict").GetString());
            var probes = bad.GetProperty("probes").EnumerateArray().ToDictionary(p => p.GetProperty("address").GetString()!, p => p.GetProperty("verdict").GetString());
            Assert.Equal("WRONG SOURCE", probes["192.0.2.1"]);
            Assert.Equal("WRONG SOURCE", probes[Uplink]);
            Assert.Equal("OK", DockerScenario.Listener(report, 56792).GetProperty("verdict").GetString());
        }
        finally
        {
            DockerScenario.Stop(naive);
            DockerScenario.Stop(rebound);
        }
    }

    [SkippableFact]
    public void Doctor_from_the_containers_side_sees_the_reply_the_containers_client_drops()
    {
        DockerHost host = docker.Require();
        DockerContainer client = DockerScenario.StartClient(host, "from-client");
        Process naive = DockerScenario.StartOnHost(host, "listening on", "echo", "--naive", "-l", "0.0.0.0:56795");
        Process rebound = DockerScenario.StartOnHost(host, "listening on", "echo", "-l", "[::]:56796");
        try
        {
            string pid = client.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture);
            foreach (string[] from in (string[][])[["--from-pid", pid], ["--from-containers"]])
            {
                (int exit, JsonElement report) = DockerScenario.Doctor(null, ["--netns", host.Namespace, "-p", "56795", "-p", "56796", .. from]);
                Assert.Equal(ExitCodes.Finding, exit);
                var bad = FromClient(report, 56795, client);
                Assert.Equal("WRONG SOURCE", bad[Uplink].GetProperty("verdict").GetString());
                Assert.Equal("192.0.2.1:56795", bad[Uplink].GetProperty("repliedFrom").GetString());
                Assert.Equal("OK", bad["192.0.2.1"].GetProperty("verdict").GetString());
                var good = FromClient(report, 56796, client);
                Assert.Equal("OK", good[Uplink].GetProperty("verdict").GetString());
                Assert.Equal("OK", good["192.0.2.1"].GetProperty("verdict").GetString());
            }
        }
        finally
        {
            DockerScenario.Stop(naive);
            DockerScenario.Stop(rebound);
            host.Remove(client);
        }
    }

    private static Dictionary<string, JsonElement> FromClient(JsonElement report, int port, DockerContainer client) =>
        DockerScenario.Listener(report, port).GetProperty("probes").EnumerateArray()
            .Where(p => p.GetProperty("source").GetString() == client.Address.ToString())
            .ToDictionary(p => p.GetProperty("address").GetString()!);

    [SkippableFact]
    public void Trace_on_docker0_and_analyze_of_a_docker0_capture_find_the_wrong_source_reply()
    {
        DockerHost host = docker.Require();
        DockerContainer client = DockerScenario.StartClient(host, "trace-client");
        Process naive = DockerScenario.StartOnHost(host, "listening on", "echo", "--naive", "-l", "0.0.0.0:56793");
        try
        {
            using var capture = TcpdumpRecorder.Start(host.Namespace, "docker0-naive.pcap", "-i", "docker0", "udp or icmp");
            using Process trace = CliProcess.Start("trace", "--netns", host.Namespace, "-i", "docker0", "--duration", "4", "--json");
            Task<string> events = trace.StandardOutput.ReadToEndAsync();
            CliProcess.WaitForStderr(trace, "Tracing UDP and ICMP");
            Assert.Equal("", DockerScenario.Netcat(host, client, Uplink, 56793));
            Assert.True(trace.WaitForExit(TimeSpan.FromSeconds(20)), "trace did not stop after --duration");
            string file = capture.Stop();

            Assert.Equal(ExitCodes.Finding, trace.ExitCode);
            JsonElement live = Assert.Single(events.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => JsonDocument.Parse(l).RootElement), e => e.GetProperty("event").GetString() == "finding");
            DockerScenario.AssertFinding(live, client, $"{Uplink}:56793", "192.0.2.1:56793");
            DockerScenario.AssertFinding(DockerScenario.SingleFinding(file), client, $"{Uplink}:56793", "192.0.2.1:56793");
        }
        finally
        {
            DockerScenario.Stop(naive);
            host.Remove(client);
        }
    }
}
