using System.Diagnostics;
using Rebound.TestSupport.Docker;

namespace Rebound.Cli.Tests.Docker;

/// <summary>
/// The field report on a real Docker daemon: a container on the default bridge asks a host service at the host's uplink
/// address 198.51.100.13 with OpenBSD <c>nc -u</c>. A naive server answers from docker0's 192.0.2.1 and the client
/// hears nothing; <c>rebound echo</c> (on 0.0.0.0 and on [::]) and <c>rebound proxy</c> in front of the naive server fix it.
/// </summary>
[Collection(DockerSuite.Name)]
public sealed class DockerBridgeTests(DockerFixture docker)
{
    private const string Uplink = "198.51.100.13";

    [SkippableFact]
    public void A_naive_host_server_fails_and_rebound_echo_fixes_it_on_both_wildcards()
    {
        DockerHost host = docker.Require();
        DockerContainer client = DockerScenario.StartClient(host, "bridge-client");
        try
        {
            Assert.Equal("", Answer(host, client, "rebound echo --naive", 56781, "echo", "--naive", "-l", "0.0.0.0:56781"));
            Assert.Equal("hello\nhi\n", Answer(host, client, "listening on", 56782, "echo", "-l", "0.0.0.0:56782"));
            Assert.Equal("hello\nhi\n", Answer(host, client, "listening on", 56783, "echo", "-l", "[::]:56783"));
        }
        finally
        {
            host.Remove(client);
        }
    }

    [SkippableFact]
    public void Rebound_proxy_in_front_of_the_naive_server_fixes_it()
    {
        DockerHost host = docker.Require();
        DockerContainer client = DockerScenario.StartClient(host, "proxy-client");
        Process naive = DockerScenario.StartOnHost(host, "rebound echo --naive", "echo", "--naive", "-l", "0.0.0.0:16088");
        try
        {
            // The same naive server, asked directly, is the report; through the proxy it answers.
            Assert.Equal("", DockerScenario.Netcat(host, client, Uplink, 16088));
            Process proxy = DockerScenario.StartOnHost(host, "Proxying", "proxy", "-l", "0.0.0.0:6088", "-t", "127.0.0.1:16088");
            try
            {
                Assert.Equal("hello\nhi\n", DockerScenario.Netcat(host, client, Uplink, 6088));
            }
            finally
            {
                DockerScenario.Stop(proxy);
            }
        }
        finally
        {
            DockerScenario.Stop(naive);
            host.Remove(client);
        }
    }

    private static string Answer(DockerHost host, DockerContainer client, string marker, int port, params string[] server)
    {
        Process process = DockerScenario.StartOnHost(host, marker, server);
        try
        {
            return DockerScenario.Netcat(host, client, Uplink, port);
        }
        finally
        {
            DockerScenario.Stop(process);
        }
    }
}
