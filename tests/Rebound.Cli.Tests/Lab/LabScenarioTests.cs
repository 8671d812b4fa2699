using System.Net;
using Rebound.Capture;
using Rebound.Cli.Lab;
using Rebound.Cli.Tests.Support;
using Rebound.Lab;
using static Rebound.Lab.FieldReportTopology;

namespace Rebound.Cli.Tests.Lab;

/// <summary>One field-report topology shared by the lab's row tests (built on first use, deleted at the end).</summary>
public sealed class LabBenchFixture : IDisposable
{
    private readonly Lazy<LabBench> _bench = new(LabBench.Create);

    internal LabBench Bench => _bench.Value;

    public void Dispose()
    {
        if (_bench.IsValueCreated)
        {
            _bench.Value.Dispose();
        }
    }
}

/// <summary>
/// Every lab row, run for real in namespaces, with its verdict and the packet facts behind it checked against the
/// client's own experience and the raw capture. Each "works" row for Rebound sits next to the naive row that fails in
/// the same topology.
/// </summary>
public sealed class LabScenarioTests(LabBenchFixture fixture) : IClassFixture<LabBenchFixture>
{
    [NamespaceFact]
    public void Row1_naive_on_0_0_0_0_replies_from_the_bridge_and_the_client_rejects_it()
    {
        RowResult row = Run("1");

        AssertRejectedFrom(row, BridgeV4);
    }

    [NamespaceFact]
    public void Row2_naive_dual_stack_socket_replies_from_the_bridge_too()
    {
        RowResult row = Run("2");

        AssertRejectedFrom(row, BridgeV4);
    }

    [NamespaceFact]
    public void Row3_naive_bound_to_eth0_works()
    {
        RowResult row = Run("3");

        AssertAnsweredFrom(row, HostEth0V4);
    }

    [NamespaceFact]
    public void Row4_tcp_works_and_every_segment_comes_from_eth0()
    {
        RowResult row = Run("4");

        Assert.Equal(Verdict.Works, row.Verdict);
        LabObservation o = row.Observation!;
        Assert.All(o.Messages, m => Assert.Equal(m.Sent, m.Reply));
        List<DecodedPacket> toClient = [.. o.Packets.Select(p => p.Packet).Where(p => o.Client.Address.Equals(p.Destination))];
        Assert.NotEmpty(toClient);
        Assert.All(toClient, p => Assert.Equal(HostEth0V4, p.Source));
        Assert.All(toClient, p => Assert.Equal(6, p.Protocol));
    }

    [NamespaceFact("iptables", "conntrack")]
    public void Row5_snat_rewrites_the_address_but_conntrack_remaps_the_port()
    {
        RowResult row = Run("5");

        Assert.Equal(Verdict.Fails, row.Verdict);
        LabObservation o = row.Observation!;
        Assert.All(o.Messages, m => Assert.Null(m.Reply));
        List<DecodedPacket> replies = [.. o.Packets.Select(p => p.Packet).Where(p => p.Kind == PacketKind.Udp && o.Client.Address.Equals(p.Destination))];
        Assert.Equal(o.Messages.Count, replies.Count);
        DecodedPacket reply = replies[0];
        Assert.All(replies, p => Assert.Equal(reply.SourceEndPoint, p.SourceEndPoint));
        Assert.Equal(HostEth0V4, reply.Source);
        Assert.NotEqual(o.Target.Port, reply.SourcePort);
        Assert.Equal(reply.SourcePort, row.RemappedPort);
        Assert.Contains(o.Packets, p => p.Packet.Kind == PacketKind.PortUnreachable && p.Packet.QuotedSourcePort == reply.SourcePort);

        // conntrack: the request's flow owns eth0:PORT, so the reply's flow was translated to another port.
        Assert.Contains(o.Flows!, f => f.OriginalSource.Equals(o.Client) && f.ReplySource.Equals(o.Target));
        ConntrackEntry replyFlow = Assert.Single(o.Flows!, f => f.OriginalSource.Equals(new IPEndPoint(BridgeV4, o.Target.Port)));
        Assert.Equal(new IPEndPoint(HostEth0V4, reply.SourcePort), replyFlow.TranslatedSource);
    }

    [NamespaceFact("iptables", "conntrack")]
    public void Row6_notrack_alone_and_with_snat_leaves_the_bridge_source()
    {
        foreach (string id in new[] { "6a", "6b" })
        {
            RowResult row = Run(id);

            AssertRejectedFrom(row, BridgeV4);
            Assert.Empty(row.Observation!.Flows!);
            Assert.Contains(row.Observation.Commands, n => n.Contains("NOTRACK", StringComparison.Ordinal));
        }
    }

    [NamespaceFact]
    public void Row7_rebound_on_0_0_0_0_works_where_row1_fails()
    {
        AssertRejectedFrom(Run("1"), BridgeV4);
        AssertAnsweredFrom(Run("7"), HostEth0V4);
    }

    [NamespaceFact]
    public void Row8_rebound_dual_stack_works_where_row2_fails()
    {
        AssertRejectedFrom(Run("2"), BridgeV4);
        AssertAnsweredFrom(Run("8"), HostEth0V4);
    }

    [NamespaceFact]
    public void Row9_ipv6_naive_replies_from_the_bridge_rebound_from_eth0()
    {
        AssertRejectedFrom(Run("9a"), BridgeV6);
        AssertAnsweredFrom(Run("9b"), HostEth0V6);
    }

    [NamespaceFact]
    public void Row10_control_asking_the_bridge_works_for_both()
    {
        AssertAnsweredFrom(Run("10a"), BridgeV4);
        AssertAnsweredFrom(Run("10b"), BridgeV4);
    }

    [NamespaceFact]
    public void Row11_second_uplink_naive_answers_from_the_first_rebound_from_the_second()
    {
        RowResult naive = Run("11a");
        AssertRejectedFrom(naive, HostEth0V4);
        Assert.Equal("eth0", naive.ReplyInterface);
        Assert.Contains(naive.Observation!.Packets, p => p.Interface == "eth1" && p.Packet.Kind == PacketKind.Udp && RemoteClientV4.Equals(p.Packet.Source));

        AssertAnsweredFrom(Run("11b"), SecondUplinkV4);
    }

    [NamespaceFact]
    public void Row12_the_naive_server_behind_rebound_proxy_works_where_row2_fails()
    {
        AssertRejectedFrom(Run("2"), BridgeV4);
        RowResult proxied = Run("12");
        AssertAnsweredFrom(proxied, HostEth0V4);
        Assert.Contains(proxied.Observation!.Commands, c => c.StartsWith("rebound proxy --listen [::]:", StringComparison.Ordinal));
    }

    private RowResult Run(string id) => LabRunner.RunRow(fixture.Bench, LabScenarios.All.Single(s => s.Id == id));

    /// <summary>The client got nothing; the capture shows replies from <paramref name="wrongSource"/> and the client's ICMP refusal.</summary>
    private static void AssertRejectedFrom(RowResult row, IPAddress wrongSource)
    {
        Assert.True(row.Verdict == Verdict.Fails, $"row {row.Scenario.Id}: {row.Verdict}: {row.Why}");
        LabObservation o = row.Observation!;
        Assert.All(o.Messages, m => Assert.Null(m.Reply));
        List<DecodedPacket> replies = [.. o.Packets.Select(p => p.Packet).Where(p => p.Kind == PacketKind.Udp && o.Client.Address.Equals(p.Destination))];
        Assert.Equal(o.Messages.Count, replies.Count);
        Assert.All(replies, p => Assert.Equal(wrongSource, p.Source));
        Assert.Contains(o.Packets, p => p.Packet.Kind == PacketKind.PortUnreachable && o.Client.Address.Equals(p.Packet.Source) && wrongSource.Equals(p.Packet.QuotedSource));
        Assert.Equal(wrongSource, row.ReplySource?.Address);
        Assert.True(row.IcmpSeen);
    }

    /// <summary>The client got every echo; every captured reply came from <paramref name="source"/> and the server's port; no ICMP.</summary>
    private static void AssertAnsweredFrom(RowResult row, IPAddress source)
    {
        Assert.True(row.Verdict == Verdict.Works, $"row {row.Scenario.Id}: {row.Verdict}: {row.Why}");
        LabObservation o = row.Observation!;
        Assert.All(o.Messages, m => Assert.Equal(m.Sent, m.Reply));
        List<DecodedPacket> replies = [.. o.Packets.Select(p => p.Packet).Where(p => p.Kind == PacketKind.Udp && o.Client.Address.Equals(p.Destination))];
        Assert.Equal(o.Messages.Count, replies.Count);
        Assert.All(replies, p => Assert.Equal(new IPEndPoint(source, o.Target.Port), p.SourceEndPoint));
        Assert.DoesNotContain(o.Packets, p => p.Packet.Kind == PacketKind.PortUnreachable);
        Assert.False(row.IcmpSeen);
    }
}
