using System.Diagnostics;
using System.Text.Json;
using Rebound.Cli.Infrastructure;
using Rebound.Cli.Tests.Support;
using Rebound.TestSupport.Docker;

namespace Rebound.Cli.Tests.Docker;

/// <summary>
/// Docker's own published UDP port (<c>-p 5353:7000/udp</c>, userland proxy on). A container on the bridge that asks
/// the host's uplink address reaches docker-proxy's wildcard socket, not the DNAT rule (Docker skips it for traffic from
/// docker0), and docker-proxy answers from docker0's address: the client gets nothing. The service behind it answers
/// correctly (it runs <c>rebound echo</c>), so the loss is docker-proxy's. Publishing on 127.0.0.1 and putting
/// <c>rebound proxy</c> in front fixes it.
/// </summary>
[Collection(DockerSuite.Name)]
public sealed class DockerPublishedPortTests(DockerFixture docker)
{
    private const string Uplink = "198.51.100.13";

    [SkippableFact]
    public void Docker_proxy_answers_from_docker0_and_the_container_client_gets_nothing()
    {
        DockerHost host = docker.Require();
        DockerContainer client = DockerScenario.StartClient(host, "published-client");
        DockerContainer service = DockerScenario.StartReboundIn(host, "published-service", ["-p", "5353:7000/udp"], "echo", "-l", "0.0.0.0:7000");
        try
        {
            using var capture = TcpdumpRecorder.Start(host.Namespace, "docker-proxy.pcap", "-i", "docker0", "udp or icmp");
            string viaUplink = DockerScenario.Netcat(host, client, Uplink, 5353);
            // Control: asked at docker0's own address, the same published port answers.
            string viaBridge = DockerScenario.Netcat(host, client, DockerHost.BridgeAddress.ToString(), 5353);
            string file = capture.Stop();

            Assert.Equal("", viaUplink);
            Assert.Equal("hello\nhi\n", viaBridge);
            DockerScenario.AssertFinding(DockerScenario.SingleFinding(file), client, $"{Uplink}:5353", "192.0.2.1:5353");
        }
        finally
        {
            host.Remove(service);
            host.Remove(client);
        }
    }

    [SkippableFact]
    public void Doctor_names_the_nat_that_broke_its_probes_and_proves_docker_proxy_wrong_at_127_0_0_2()
    {
        DockerHost host = docker.Require();
        DockerContainer service = DockerScenario.StartReboundIn(host, "doctor-published", ["-p", "5353:7000/udp"], "echo", "-l", "0.0.0.0:7000");
        try
        {
            (int exit, JsonElement report) = DockerScenario.Doctor(host.Namespace, "-p", "5353");

            // Docker's nat OUTPUT DNAT sends the 127.0.0.1 probes of 192.0.2.1 and the uplink to the container, and the
            // kernel refuses a loopback-sourced packet there: nothing was sent, and doctor says why.
            JsonElement listener = DockerScenario.Listener(report, 5353);
            var probes = listener.GetProperty("probes").EnumerateArray().ToDictionary(p => p.GetProperty("address").GetString()!);
            foreach (string address in (string[])["192.0.2.1", Uplink])
            {
                Assert.Equal("NOT SENT", probes[address].GetProperty("verdict").GetString());
                Assert.Contains("NAT rewrote the destination", probes[address].GetProperty("detail").GetString(), StringComparison.Ordinal);
            }

            // 127.0.0.0/8 is exempt from that rule: asked there, docker-proxy answers from 127.0.0.1.
            Assert.Equal("WRONG SOURCE", probes["127.0.0.2"].GetProperty("verdict").GetString());
            Assert.Equal("127.0.0.1:5353", probes["127.0.0.2"].GetProperty("repliedFrom").GetString());
            Assert.Equal("AT RISK", listener.GetProperty("verdict").GetString());
            Assert.Equal(ExitCodes.Finding, exit);
        }
        finally
        {
            host.Remove(service);
        }
    }

    [SkippableFact]
    public void Rebound_proxy_in_front_of_a_port_published_on_loopback_fixes_it()
    {
        DockerHost host = docker.Require();
        DockerContainer client = DockerScenario.StartClient(host, "loopback-client");
        DockerContainer service = DockerScenario.StartReboundIn(host, "loopback-service", ["-p", "127.0.0.1:5354:7000/udp"], "echo", "-l", "0.0.0.0:7000");
        Process proxy = DockerScenario.StartOnHost(host, "Proxying", "proxy", "-l", "0.0.0.0:5353", "-t", "127.0.0.1:5354");
        try
        {
            Assert.Equal("hello\nhi\n", DockerScenario.Netcat(host, client, Uplink, 5353));
        }
        finally
        {
            DockerScenario.Stop(proxy);
            host.Remove(service);
            host.Remove(client);
        }
    }
}
