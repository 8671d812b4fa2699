using System.Net;
using Rebound.Capture;

namespace Rebound.Cli.Lab;

/// <summary>One message the lab's client sent, and the reply it received (null: none arrived in time).</summary>
internal sealed record ClientMessage(string Sent, string? Reply)
{
    public bool Answered => Reply == Sent;
}

/// <summary>One packet captured during a row, decoded, with the interface it crossed (empty when only one was watched).</summary>
internal sealed record CapturedPacket(DecodedPacket Packet, string Interface)
{
    /// <summary>The tcpdump-style line, prefixed by the interface when several were captured.</summary>
    public string Line => Interface.Length == 0 ? PacketFormatter.Format(Packet) : $"{Interface} {PacketFormatter.Format(Packet)}";
}

/// <summary>
/// Everything one lab row observed: what the client asked and received, what crossed the wire, and what netfilter
/// reported. Verdicts are drawn from this alone (<see cref="LabEvidence"/>), never from the row's name.
/// </summary>
internal sealed record LabObservation(
    string Transport,
    IPEndPoint Target,
    IPEndPoint Client,
    IReadOnlyList<ClientMessage> Messages,
    IReadOnlyList<CapturedPacket> Packets)
{
    /// <summary>Commands the row ran before the exchange (iptables rules), for the trace.</summary>
    public List<string> Commands { get; } = [];

    /// <summary>Conntrack's flows for the row after the exchange; null when the row did not look.</summary>
    public IReadOnlyList<ConntrackEntry>? Flows { get; set; }

    /// <summary>One clause the row's own evidence adds to the "why" (e.g. what conntrack shows), or null.</summary>
    public string? Finding { get; set; }

    /// <summary>Why the server declined to answer some requests, when it did.</summary>
    public IReadOnlyList<string> ServerRefusals { get; init; } = [];
}
