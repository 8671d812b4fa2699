using System.Net;
using CsCheck;
using Rebound.Cli.Lab;

namespace Rebound.Cli.Tests.Lab;

/// <summary>Parsing <c>conntrack -L</c> output, as the lab's SNAT row reads it.</summary>
public sealed class ConntrackEntryTests
{
    private const string SnatReplyFlow =
        "udp      17 29 src=192.0.2.1 dst=192.0.2.3 sport=56789 dport=45167 [UNREPLIED] src=192.0.2.3 dst=198.51.100.13 sport=45167 dport=40104 mark=0 use=1";

    [Fact]
    public void Snat_reply_flow_shows_the_translated_source_port()
    {
        Assert.True(ConntrackEntry.TryParse(SnatReplyFlow, out ConntrackEntry entry));

        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 56789), entry.OriginalSource);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.3"), 45167), entry.OriginalDestination);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("198.51.100.13"), 40104), entry.TranslatedSource);
        Assert.True(entry.IsSourceTranslated);
    }

    [Fact]
    public void Ipv6_flow_and_summary_lines()
    {
        const string output =
            "udp      17 28 src=2001:db8:2::3 dst=2001:db8:100::13 sport=40000 dport=53 src=2001:db8:100::13 dst=2001:db8:2::3 sport=53 dport=40000 [ASSURED] mark=0 use=1\n" +
            "conntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.\n";

        ConntrackEntry entry = Assert.Single(ConntrackEntry.ParseAll(output));

        Assert.Equal(IPAddress.Parse("2001:db8:100::13"), entry.ReplySource.Address);
        Assert.False(entry.IsSourceTranslated);
    }

    [Fact]
    public void Lines_without_two_tuples_are_not_flows()
    {
        Assert.False(ConntrackEntry.TryParse("", out _));
        Assert.False(ConntrackEntry.TryParse("udp 17 29 src=192.0.2.1 dst=192.0.2.3 sport=1 dport=2", out _));
        Assert.False(ConntrackEntry.TryParse("udp 17 29 src=192.0.2.1 dst=192.0.2.3 sport=99999 dport=2 src=192.0.2.3 dst=192.0.2.1 sport=2 dport=1", out _));
    }

    [Fact]
    public void Any_printed_flow_parses_back()
    {
        Gen<IPAddress> v4 = Gen.UInt.Select(n => new IPAddress(BitConverter.GetBytes(n)));
        Gen<IPAddress> v6 = Gen.Byte.Array[16].Select(b => new IPAddress(b));
        Gen<IPEndPoint> endPoint = Gen.Select(Gen.OneOf(v4, v6), Gen.UShort, (a, p) => new IPEndPoint(a, p));
        Gen.Select(endPoint, endPoint, endPoint, endPoint).Sample((os, od, rs, rd) =>
        {
            string line = $"udp      17 29 {Tuple(os, od)} [UNREPLIED] {Tuple(rs, rd)} mark=0 use=1";
            return ConntrackEntry.TryParse(line, out ConntrackEntry e)
                && e.OriginalSource.Equals(os) && e.OriginalDestination.Equals(od) && e.ReplySource.Equals(rs) && e.ReplyDestination.Equals(rd);
        });
    }

    [Fact]
    public void Garbage_never_throws()
    {
        Gen.String.Sample(text => ConntrackEntry.ParseAll(text) is not null);
    }

    private static string Tuple(IPEndPoint source, IPEndPoint destination) =>
        $"src={source.Address} dst={destination.Address} sport={source.Port} dport={destination.Port}";
}
