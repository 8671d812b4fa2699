using System.Net;
using Rebound.Capture;
using Rebound.Cli.Lab;

namespace Rebound.Cli.Tests.Lab;

/// <summary>
/// The verdict rule on hand-built observations: a row "works" only when the client was answered AND the capture shows
/// the replies from the address and port it asked; a missing witness never becomes a verdict.
/// </summary>
public sealed class LabEvidenceTests
{
    private static readonly IPEndPoint Client = new(IPAddress.Parse("192.0.2.3"), 45167);
    private static readonly IPEndPoint Target = new(IPAddress.Parse("198.51.100.13"), 56789);
    private static readonly IPEndPoint Bridge = new(IPAddress.Parse("192.0.2.1"), 56789);
    private static readonly LabScenario Scenario = new("0", "test", Verdict.Works, _ => throw new InvalidOperationException("not run"));

    [Fact]
    public void Answered_and_captured_from_the_target_works()
    {
        RowResult row = Judge(Answered(), [Request(), Reply(Target), Request(), Reply(Target)]);

        Assert.Equal(Verdict.Works, row.Verdict);
        Assert.Equal(Target, row.ReplySource);
        Assert.False(row.IcmpSeen);
        Assert.True(row.MatchesExpectation);
    }

    [Fact]
    public void Answered_but_nothing_captured_is_unproven_not_works()
    {
        RowResult row = Judge(Answered(), [Request()]);

        Assert.Equal(Verdict.Unproven, row.Verdict);
        Assert.False(row.MatchesExpectation);
    }

    [Fact]
    public void Answered_but_captured_from_another_address_is_unproven()
    {
        RowResult row = Judge(Answered(), [Request(), Reply(Bridge)]);

        Assert.Equal(Verdict.Unproven, row.Verdict);
        Assert.Contains("192.0.2.1", row.Why, StringComparison.Ordinal);
    }

    [Fact]
    public void Unanswered_with_a_wrong_source_and_icmp_fails_and_says_why()
    {
        RowResult row = Judge(Unanswered(), [Request(), Reply(Bridge), Rejection(Bridge)]);

        Assert.Equal(Verdict.Fails, row.Verdict);
        Assert.Equal(Bridge, row.ReplySource);
        Assert.True(row.IcmpSeen);
        Assert.Null(row.RemappedPort);
        Assert.Contains("reply from 192.0.2.1, not 198.51.100.13", row.Why, StringComparison.Ordinal);
        Assert.False(row.MatchesExpectation);
    }

    [Fact]
    public void Right_address_other_port_is_a_remap()
    {
        var remapped = new IPEndPoint(Target.Address, 40104);
        RowResult row = Judge(Unanswered(), [Request(), Reply(remapped), Rejection(remapped)]);

        Assert.Equal(Verdict.Fails, row.Verdict);
        Assert.Equal(40104, row.RemappedPort);
        Assert.Contains("port 56789 became 40104", row.Why, StringComparison.Ordinal);
    }

    [Fact]
    public void A_row_whose_program_is_missing_is_skipped_without_running()
    {
        LabScenario needsMissing = Scenario with { Needs = ["rebound-no-such-program"] };

        RowResult row = LabRunner.RunRow(bench: null!, needsMissing);

        Assert.Equal(Verdict.Skipped, row.Verdict);
        Assert.Equal("skipped: install rebound-no-such-program", row.Why);
        Assert.True(row.MatchesExpectation);
    }

    private static RowResult Judge(List<ClientMessage> messages, List<DecodedPacket> packets) =>
        LabEvidence.Judge(Scenario, new LabObservation("UDP", Target, Client, messages, [.. packets.Select(p => new CapturedPacket(p, ""))]));

    private static List<ClientMessage> Answered() => [new("hello", "hello"), new("hi", "hi")];

    private static List<ClientMessage> Unanswered() => [new("hello", null), new("hi", null)];

    private static DecodedPacket Request() => Udp(Client, Target);

    private static DecodedPacket Reply(IPEndPoint from) => Udp(from, Client);

    private static DecodedPacket Udp(IPEndPoint from, IPEndPoint to) => new()
    {
        Kind = PacketKind.Udp, Source = from.Address, SourcePort = (ushort)from.Port, Destination = to.Address, DestinationPort = (ushort)to.Port, Length = 5,
    };

    private static DecodedPacket Rejection(IPEndPoint rejected) => new()
    {
        Kind = PacketKind.PortUnreachable, Source = Client.Address, Destination = rejected.Address, IcmpType = 3, IcmpCode = 3,
        QuotedSource = rejected.Address, QuotedSourcePort = (ushort)rejected.Port, QuotedDestination = Client.Address, QuotedDestinationPort = (ushort)Client.Port,
    };
}
