using System.Globalization;
using System.Text.Json;
using Rebound.Cli.Tests.Shield;
using Rebound.Cli.Tests.Support;
using Rebound.Lab;
using Rebound.Shield;
using Rebound.TestSupport.Docker;

namespace Rebound.Cli.Tests.Docker;

/// <summary>
/// Docker 20.10's own failure, fixed in the kernel: a container on the bridge asks the host's uplink address for a
/// published UDP port, docker-proxy (userland proxy) answers from docker0's address and the client gets nothing. Doctor
/// names docker-proxy and prints the attach line; run as printed, it shields the daemon's cgroup (the harness made it;
/// docker-proxy inherits it from dockerd) and the same client gets both replies, from the address it asked.
/// </summary>
[Collection(DockerSuite.Name)]
public sealed class DockerShieldTests(DockerFixture docker)
{
    private const string Uplink = "198.51.100.13";
    private const int Port = 5356;

    [SkippableFact]
    public void The_shield_on_docker_proxys_cgroup_fixes_the_published_port_that_docker_proxy_breaks()
    {
        DockerHost host = docker.Require();
        Skip.If(ShieldSupport.Check() is not null, $"Skipped: {ShieldSupport.Check()?.Missing}");
        Skip.If(host.DaemonCgroup is null, "Skipped: no cgroup v2 mount to run dockerd in");
        DockerContainer client = DockerScenario.StartClient(host, "shield-client");
        DockerContainer service = DockerScenario.StartReboundIn(host, "shield-service", ["-p", $"{Port}:7000/udp"], "echo", "-l", "0.0.0.0:7000");
        try
        {
            Assert.Equal("", DockerScenario.Netcat(host, client, Uplink, Port));   // the bug, as the report saw it

            (int exit, JsonElement report) = DockerScenario.Doctor(host.Namespace, "-p", Port.ToString(CultureInfo.InvariantCulture));
            JsonElement listener = DockerScenario.Listener(report, Port);
            Assert.Equal(1, exit);
            Assert.Equal("at-risk", listener.GetProperty("verdict").GetString());
            // One docker-proxy per family (0.0.0.0 and ::), both dockerd's children in the daemon's cgroup.
            int[] proxyPids = [.. listener.GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("pid").GetInt32())];
            Assert.NotEmpty(proxyPids);
            Assert.All(proxyPids, pid => Assert.Equal("docker-proxy", File.ReadAllText($"/proc/{pid}/comm").Trim()));
            Assert.All(proxyPids, pid => Assert.Equal(host.DaemonCgroup, Cgroups.OfProcess(pid)));
            string fix = listener.GetProperty("fix").GetString()!;
            Assert.Contains(fix, proxyPids.Select(pid => $"rebound shield attach --pid {pid}"));

            (int code, string output, string error) = CliProcess.Run("", fix.Split(' ')[1..]);
            Assert.True(code == 0, $"`{fix}` exited {code}: {output}{error}");

            using var capture = TcpdumpRecorder.Start(host.Namespace, "docker-proxy-shielded.pcap", "-i", "docker0", "udp or icmp");
            string reply = DockerScenario.Netcat(host, client, Uplink, Port);
            string file = capture.Stop();
            Assert.Equal("hello\nhi\n", reply);
            string packets = ProcessRunner.Run("tcpdump", ["-n", "-r", file]).StandardOutput;
            Assert.Contains($"IP {Uplink}.{Port} > {client.Address}.", packets, StringComparison.Ordinal);
            Assert.DoesNotContain("unreachable", packets, StringComparison.Ordinal);
        }
        finally
        {
            ShieldSetup.Cli("shield", "detach", "--cgroup", host.DaemonCgroup!);
            host.Remove(service);
            host.Remove(client);
        }
    }
}
