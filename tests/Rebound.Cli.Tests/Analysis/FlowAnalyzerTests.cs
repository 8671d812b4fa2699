using System.Net;
using CsCheck;
using Rebound.Capture.Analysis;
using Rebound.Cli.Analysis;
using Rebound.Capture;
using Rebound.Cli.Tests.Support;

namespace Rebound.Cli.Tests.Analysis;

/// <summary>The correlation rules of <see cref="FlowAnalyzer"/> on packet sequences decoded from real-shaped bytes.</summary>
public sealed class FlowAnalyzerTests
{
    private const long Ms = 1_000_000;
    private static readonly IPEndPoint Client = new(IPAddress.Parse("192.0.2.3"), 40000);
    private static readonly IPEndPoint Server = new(IPAddress.Parse("198.51.100.13"), 53);
    private static readonly IPEndPoint Bridge = new(IPAddress.Parse("192.0.2.1"), 53);

    private readonly FlowAnalyzer _analyzer = new(TimeSpan.FromSeconds(2));
    private long _frame;

    [Fact]
    public void Reply_from_another_address_is_an_unexpected_source_and_the_icmp_a_rejection()
    {
        Feed(0, PacketBytes.Udp(Client, Server));
        FindingEvent? found = Feed(1 * Ms, PacketBytes.Udp(Bridge, Client));
        FindingEvent? rejected = Feed(2 * Ms, PacketBytes.PortUnreachable(Client.Address, PacketBytes.Udp(Bridge, Client)));

        Assert.Equal(FindingEventKind.NewFinding, found?.Kind);
        Assert.Equal(FindingEventKind.FirstRejection, rejected?.Kind);
        Finding f = Assert.Single(_analyzer.Findings);
        Assert.Equal((FindingKind.UnexpectedSource, "192.0.2.1:53", 1L, 2L, 3L), (f.Kind, f.ReplySource.ToString(), f.FirstRequest.Frame, f.FirstBadReply.Frame, f.FirstRejection?.Frame));
        Assert.Contains("reply from unexpected source", f.Describe(), StringComparison.Ordinal);
        Assert.Contains("rejected by the client", f.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Reply_from_the_requested_endpoint_is_not_a_finding()
    {
        Feed(0, PacketBytes.Udp(Client, Server));
        Feed(1 * Ms, PacketBytes.Udp(Server, Client));
        Assert.Empty(_analyzer.Findings);
        Assert.Equal(1, _analyzer.Summary.Flows);
    }

    [Fact]
    public void Reply_from_the_right_address_but_another_port_is_an_unexpected_port()
    {
        Feed(0, PacketBytes.Udp(Client, Server));
        Feed(1 * Ms, PacketBytes.Udp(new IPEndPoint(Server.Address, 30978), Client));
        Assert.Equal(FindingKind.UnexpectedPort, Assert.Single(_analyzer.Findings).Kind);
    }

    [Fact]
    public void Tftp_answering_from_a_new_port_is_by_design()
    {
        var tftp = new IPEndPoint(Server.Address, 69);
        Feed(0, PacketBytes.Udp(Client, tftp));
        Feed(1 * Ms, PacketBytes.Udp(new IPEndPoint(Server.Address, 50123), Client));
        Assert.Empty(_analyzer.Findings);
    }

    [Fact]
    public void Datagram_after_the_window_is_not_a_reply()
    {
        Feed(0, PacketBytes.Udp(Client, Server));
        Feed(2500 * Ms, PacketBytes.Udp(Bridge, Client));
        Assert.Empty(_analyzer.Findings);
    }

    [Fact]
    public void Multicast_and_broadcast_requests_are_answered_from_unicast_by_design()
    {
        Feed(0, PacketBytes.Udp(Client, new IPEndPoint(IPAddress.Parse("224.0.0.251"), 53)));
        Feed(1 * Ms, PacketBytes.Udp(new IPEndPoint(Bridge.Address, 53), Client));
        Feed(2 * Ms, PacketBytes.Udp(new IPEndPoint(Client.Address, 40001), new IPEndPoint(IPAddress.Broadcast, 53)));
        Feed(3 * Ms, PacketBytes.Udp(Bridge, new IPEndPoint(Client.Address, 40001)));
        Assert.Empty(_analyzer.Findings);
    }

    [Fact]
    public void Icmp_is_rate_limited_so_one_rejection_covers_many_wrong_replies()
    {
        for (int i = 0; i < 5; i++)
        {
            Feed(i * 10 * Ms, PacketBytes.Udp(Client, Server));
            Feed((i * 10 * Ms) + Ms, PacketBytes.Udp(Bridge, Client));
        }

        Feed(60 * Ms, PacketBytes.PortUnreachable(Client.Address, PacketBytes.Udp(Bridge, Client)));
        Finding f = Assert.Single(_analyzer.Findings);
        Assert.Equal((5, 5, 1), (f.Requests, f.BadReplies, f.Rejections));
    }

    [Fact]
    public void Icmp_quoting_a_correct_reply_is_not_a_rejection_of_the_wrong_one()
    {
        Feed(0, PacketBytes.Udp(Client, Server));
        Feed(1 * Ms, PacketBytes.Udp(Bridge, Client));
        Feed(2 * Ms, PacketBytes.PortUnreachable(Client.Address, PacketBytes.Udp(Server, Client)));
        Assert.False(Assert.Single(_analyzer.Findings).RejectedByClient);
    }

    [Fact]
    public void Copies_seen_on_two_interfaces_count_once()
    {
        byte[] request = PacketBytes.Udp(Client, Server);
        Feed(0, request);
        Feed(10_000, request);
        Assert.Equal((1L, 1L), (_analyzer.Summary.UdpDatagrams, _analyzer.Summary.Duplicates));
    }

    [Fact]
    public void Distinct_datagrams_that_look_alike_are_all_counted_even_microseconds_apart()
    {
        // A busy flow (a loopback load test): same addresses, ports and length, 10 µs apart. Only the payload and the
        // IPv4 identification differ. The old check called 99 of these 100 "duplicate copies".
        for (int i = 0; i < 100; i++)
        {
            Feed(i * 10_000, PacketBytes.Udp(Client, Server, 32, seed: i));
        }

        Assert.Equal((100L, 0L), (_analyzer.Summary.UdpDatagrams, _analyzer.Summary.Duplicates));
    }

    [Fact]
    public void Each_copy_of_many_look_alike_datagrams_is_one_duplicate_property()
    {
        // Any run of distinct datagrams of one flow, each also seen a moment later on a second interface.
        Gen.Int[1, 60].Sample(count =>
        {
            var analyzer = new FlowAnalyzer(TimeSpan.FromSeconds(2));
            long frame = 0;
            for (int i = 0; i < count; i++)
            {
                DecodedPacket packet = PacketDecoder.Decode(LinkType.Raw, PacketBytes.Udp(Client, Server, 16, seed: i));
                analyzer.Observe(++frame, i * 20_000L, packet);
                analyzer.Observe(++frame, (i * 20_000L) + 5_000, packet);
            }

            return analyzer.Summary.UdpDatagrams == count && analyzer.Summary.Duplicates == count;
        });
    }

    [Fact]
    public void Analyze_counts_every_datagram_of_a_busy_look_alike_flow_in_a_file()
    {
        var file = new PcapFileBuilder(LinkType.Raw);
        for (int i = 0; i < 500; i++)
        {
            file.Add(1_000_000_000L + (i * 2_000), PacketBytes.Udp(Client, Server, 48, seed: i));
            file.Add(1_000_000_000L + (i * 2_000) + 1_000, PacketBytes.Udp(Server, Client, 48, seed: i + 1000));
        }

        AnalysisRun run = AnalysisRun.Of(file.ToArray());
        Assert.Equal(1000, run.Summary.GetProperty("udpDatagrams").GetInt64());
        Assert.Equal(0, run.Summary.GetProperty("duplicatesIgnored").GetInt64());
    }

    [Fact]
    public void Client_asking_two_servers_gets_both_answers_without_a_finding()
    {
        var other = new IPEndPoint(IPAddress.Parse("203.0.113.7"), 53);
        Feed(0, PacketBytes.Udp(Client, Server));
        Feed(1 * Ms, PacketBytes.Udp(Client, other));
        Feed(2 * Ms, PacketBytes.Udp(other, Client));
        Feed(3 * Ms, PacketBytes.Udp(Server, Client));
        Assert.Empty(_analyzer.Findings);
    }

    [Fact]
    public void Flow_table_stays_bounded_by_its_cap_and_by_the_window()
    {
        var capped = new FlowAnalyzer(TimeSpan.FromSeconds(2), maxClients: 1000);
        for (int i = 0; i < 20_000; i++)
        {
            var client = new IPEndPoint(new IPAddress([192, 0, 2, (byte)(i % 250)]), 1024 + (i / 250));
            capped.Observe(i + 1, i, PacketDecoder.DecodeIP(PacketBytes.Udp(client, Server)));
            Assert.True(capped.TrackedClients <= 1000);
        }

        Assert.True(capped.Summary.FlowsEvicted > 0);

        var windowed = new FlowAnalyzer(TimeSpan.FromSeconds(1));
        for (int i = 0; i < 20_000; i++)
        {
            var client = new IPEndPoint(new IPAddress([192, 0, 2, (byte)(i % 250)]), 1024 + (i / 250));
            windowed.Observe(i + 1, i * 10 * Ms, PacketDecoder.DecodeIP(PacketBytes.Udp(client, Server)));
        }

        Assert.InRange(windowed.TrackedClients, 1, 250); // ≈ 100 clients per second of capture time
        Assert.Equal(0, windowed.Summary.FlowsEvicted);
    }

    [Fact]
    public void Property_correct_exchanges_never_yield_findings_and_a_moved_source_always_does()
    {
        Gen<IPEndPoint> endpoint = Gen.Select(Gen.Byte[1, 254], Gen.Int[1024, 65535], (b, p) => new IPEndPoint(new IPAddress([198, 51, 100, b]), p));
        Gen.Select(endpoint, endpoint, Gen.Byte[1, 254], Gen.Int[1, 1500]).Sample((client, server, other, gapMs) =>
        {
            if (client.Equals(server) || server.Address.GetAddressBytes()[3] == other)
            {
                return;
            }

            var good = new FlowAnalyzer(TimeSpan.FromSeconds(2));
            good.Observe(1, 0, PacketDecoder.DecodeIP(PacketBytes.Udp(client, server)));
            good.Observe(2, gapMs * Ms, PacketDecoder.DecodeIP(PacketBytes.Udp(server, client)));
            Assert.Empty(good.Findings);

            var bad = new FlowAnalyzer(TimeSpan.FromSeconds(2));
            bad.Observe(1, 0, PacketDecoder.DecodeIP(PacketBytes.Udp(client, server)));
            bad.Observe(2, gapMs * Ms, PacketDecoder.DecodeIP(PacketBytes.Udp(new IPEndPoint(new IPAddress([198, 51, 100, other]), server.Port), client)));
            Assert.Equal(FindingKind.UnexpectedSource, Assert.Single(bad.Findings).Kind);
        }, iter: 500);
    }

    private FindingEvent? Feed(long time, byte[] ipPacket) => _analyzer.Observe(++_frame, time, PacketDecoder.DecodeIP(ipPacket));
}
