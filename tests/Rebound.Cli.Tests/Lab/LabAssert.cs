using System.Net;
using Rebound.Capture;
using Rebound.Cli.Lab;

namespace Rebound.Cli.Tests.Lab;

/// <summary>What a failing and a working lab row must show, from the client's side and in the capture.</summary>
internal static class LabAssert
{
    /// <summary>The client got nothing; the capture shows replies from <paramref name="wrongSource"/> and the client's ICMP refusal.</summary>
    public static void RejectedFrom(RowResult row, IPAddress wrongSource)
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
    public static void AnsweredFrom(RowResult row, IPAddress source)
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
