using System.Net;
using System.Text.Json;
using Rebound.Capture.Files;
using Rebound.Cli.Lab;
using Rebound.Cli.Tests.Support;
using Rebound.Lab;

namespace Rebound.Cli.Tests.Analysis;

/// <summary>
/// <c>rebound analyze</c> on captures made by the real tcpdump in the field report's topology: the naive server's
/// exchange is named (with the frame numbers tcpdump itself prints), the Rebound server's is not.
/// </summary>
public sealed class TcpdumpCaptureTests
{
    [NamespaceFact("tcpdump")]
    public void Naive_exchange_on_docker0_is_named_with_the_frame_numbers_tcpdump_shows()
    {
        using var topology = FieldReportTopology.Create();
        (string[] replies, int port, byte[] file) = Exchange(topology, naive: true, FieldReportTopology.HostEth0V4, "naive-docker0.pcap", "-i", "docker0", "udp or icmp");
        Assert.All(replies, r => Assert.Null(r)); // the bug: the client never gets an answer

        using AnalysisRun run = AnalysisRun.Of(file);
        Assert.Equal(1, run.ExitCode);
        JsonElement finding = Assert.Single(run.Findings);
        Assert.Equal("unexpected-source", finding.GetProperty("kind").GetString());
        Assert.StartsWith("192.0.2.3:", finding.GetProperty("client").GetString(), StringComparison.Ordinal);
        Assert.Equal($"198.51.100.13:{port}", finding.GetProperty("server").GetString());
        Assert.Equal($"192.0.2.1:{port}", finding.GetProperty("replySource").GetString());
        Assert.True(finding.GetProperty("rejectedByClient").GetBoolean());
        Assert.Equal(2, finding.GetProperty("requests").GetInt32());
        Assert.Equal(2, finding.GetProperty("badReplies").GetInt32());

        // Frame numbers agree with tcpdump's own reading of the file (line N = frame N).
        string[] lines = TcpdumpLines(file);
        Assert.Contains($"198.51.100.13.{port}: UDP", lines[Frame(finding, "firstRequest") - 1], StringComparison.Ordinal);
        Assert.Contains($"IP 192.0.2.1.{port} > 192.0.2.3.", lines[Frame(finding, "firstBadReply") - 1], StringComparison.Ordinal);
        string clientPort = finding.GetProperty("client").GetString()!.Split(':')[1];
        Assert.Contains($"IP 192.0.2.3 > 192.0.2.1: ICMP 192.0.2.3 udp port {clientPort} unreachable", lines[Frame(finding, "firstRejection") - 1], StringComparison.Ordinal);
    }

    [NamespaceFact("tcpdump")]
    public void Rebound_exchange_on_docker0_has_no_finding()
    {
        using var topology = FieldReportTopology.Create();
        (string[] replies, _, byte[] file) = Exchange(topology, naive: false, FieldReportTopology.HostEth0V4, "rebound-docker0.pcap", "-i", "docker0", "udp or icmp");
        Assert.All(replies, r => Assert.NotNull(r));

        using AnalysisRun run = AnalysisRun.Of(file);
        Assert.Equal(0, run.ExitCode);
        Assert.Empty(run.Findings);
        Assert.Equal(4, run.Summary.GetProperty("udpDatagrams").GetInt64());
        Assert.Equal(1, run.Summary.GetProperty("flows").GetInt64());
    }

    [NamespaceFact("tcpdump")]
    public void Naive_exchange_on_any_interface_is_named_in_linux_cooked_v1_and_v2()
    {
        using var topology = FieldReportTopology.Create();
        foreach ((string linkType, Capture.LinkType expected) in new[] { ("LINUX_SLL", Capture.LinkType.LinuxSll), ("LINUX_SLL2", Capture.LinkType.LinuxSll2) })
        {
            (string[] replies, int port, byte[] file) = Exchange(topology, naive: true, FieldReportTopology.HostEth0V4,
                $"naive-any-{linkType.ToLowerInvariant()}.pcap", "-i", "any", "-y", linkType, "udp or icmp");
            Assert.All(replies, r => Assert.Null(r));
            Assert.Equal(expected, LinkTypeOf(file));

            using AnalysisRun run = AnalysisRun.Of(file);
            Assert.Equal(1, run.ExitCode);
            JsonElement finding = Assert.Single(run.Findings);
            Assert.Equal($"192.0.2.1:{port}", finding.GetProperty("replySource").GetString());
            Assert.True(finding.GetProperty("rejectedByClient").GetBoolean());
            // On -i any each packet shows on the bridge port and on the bridge: the copies are counted once.
            Assert.True(run.Summary.GetProperty("duplicatesIgnored").GetInt64() > 0);
        }
    }

    [NamespaceFact("tcpdump")]
    public void Naive_IPv6_exchange_with_nanosecond_timestamps_is_named()
    {
        using var topology = FieldReportTopology.Create();
        (string[] replies, int port, byte[] file) = Exchange(topology, naive: true, FieldReportTopology.HostEth0V6,
            "naive-docker0-v6-nano.pcap", "-i", "docker0", "--time-stamp-precision=nano", "udp or (icmp6 and ip6[40] == 1)");
        Assert.All(replies, r => Assert.Null(r));

        using AnalysisRun run = AnalysisRun.Of(file);
        Assert.Contains("nanosecond", run.Json.RootElement.GetProperty("format").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, run.ExitCode);
        JsonElement finding = Assert.Single(run.Findings);
        Assert.Equal($"[2001:db8:100::13]:{port}", finding.GetProperty("server").GetString());
        Assert.Equal($"[2001:db8:2::1]:{port}", finding.GetProperty("replySource").GetString());
        Assert.True(finding.GetProperty("rejectedByClient").GetBoolean());
    }

    [NamespaceFact("tcpdump", "iptables")]
    public void Snat_that_remaps_the_port_is_named_unexpected_port()
    {
        using var topology = FieldReportTopology.Create();
        using LabServer server = topology.Host.Run(() => LabServer.Start(ServerKind.Naive, new IPEndPoint(IPAddress.Any, 0)));
        int port = server.LocalEndPoint.Port;
        // The report's workaround: rewrite the bridge source to eth0's address. conntrack then remaps the source port.
        var nat = topology.Host.Exec("iptables", ["-t", "nat", "-A", "POSTROUTING", "-s", "192.0.2.1", "-p", "udp", "--sport", $"{port}", "-j", "SNAT", "--to-source", "198.51.100.13"]);
        Assert.True(nat.Succeeded, nat.StandardError);

        using TcpdumpRecorder recorder = TcpdumpRecorder.Start(topology.Host, "snat-docker0.pcap", "-i", "docker0", "udp or icmp");
        using var client = topology.Container.Run(() => UdpClients.Connect(new IPEndPoint(FieldReportTopology.HostEth0V4, port)));
        Assert.Null(UdpClients.Exchange(client, "hello"));
        byte[] file = File.ReadAllBytes(recorder.Stop());

        using AnalysisRun run = AnalysisRun.Of(file);
        Assert.Equal(1, run.ExitCode);
        JsonElement finding = Assert.Single(run.Findings);
        Assert.Equal("unexpected-port", finding.GetProperty("kind").GetString());
        Assert.StartsWith("198.51.100.13:", finding.GetProperty("replySource").GetString(), StringComparison.Ordinal);
        Assert.NotEqual($"198.51.100.13:{port}", finding.GetProperty("replySource").GetString());
        // The ICMP quotes the pre-NAT tuple (bridge address, server port); it is still matched to the flow by the client.
        Assert.True(finding.GetProperty("rejectedByClient").GetBoolean());
    }

    /// <summary>Serves in the host, captures with tcpdump, sends two messages from the container; returns replies, port, capture.</summary>
    private static (string[] Replies, int Port, byte[] File) Exchange(FieldReportTopology topology, bool naive, IPAddress target, string name, params string[] tcpdump)
    {
        var any = new IPEndPoint(IPAddress.IPv6Any, 0);
        using LabServer server = topology.Host.Run(() => naive ? LabServer.Start(ServerKind.Naive, any) : LabServer.Start(ServerKind.Rebound, any));
        using TcpdumpRecorder recorder = TcpdumpRecorder.Start(topology.Host, name, tcpdump);
        using var client = topology.Container.Run(() => UdpClients.Connect(new IPEndPoint(target, server.LocalEndPoint.Port)));
        string?[] replies = [UdpClients.Exchange(client, "hello"), UdpClients.Exchange(client, "hi")];
        byte[] file = File.ReadAllBytes(recorder.Stop());
        return ([.. replies!], server.LocalEndPoint.Port, file);
    }

    private static int Frame(JsonElement finding, string mark) => finding.GetProperty(mark).GetProperty("frame").GetInt32();

    private static Capture.LinkType LinkTypeOf(byte[] file)
    {
        CaptureReader reader = CaptureReader.Open(new MemoryStream(file));
        Assert.True(reader.MoveNext());
        return reader.LinkType;
    }

    private static string[] TcpdumpLines(byte[] file)
    {
        string path = Path.Combine(Path.GetTempPath(), $"rebound-read-{Guid.NewGuid():N}.pcap");
        File.WriteAllBytes(path, file);
        try
        {
            var result = ProcessRunner.Run("tcpdump", ["-n", "-r", path]);
            Assert.True(result.Succeeded, result.StandardError);
            return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
