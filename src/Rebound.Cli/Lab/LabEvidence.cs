using System.Net;
using Rebound.Capture;

namespace Rebound.Cli.Lab;

/// <summary>
/// Turns a row's observation into a verdict and a one-line "why". The verdict needs both witnesses: the client's
/// replies and the captured packets. Nothing here looks at the scenario's name or expectation.
/// </summary>
internal static class LabEvidence
{
    public static RowResult Judge(LabScenario scenario, LabObservation observation)
    {
        ArgumentNullException.ThrowIfNull(observation);
        bool udp = observation.Transport == "UDP";
        IPAddress client = observation.Client.Address;
        List<CapturedPacket> replies = [.. observation.Packets.Where(p => IsTowardClient(p.Packet, observation.Client, udp))];
        CapturedPacket? first = replies.FirstOrDefault();
        IPEndPoint? replySource = first is null ? null : new IPEndPoint(first.Packet.Source!, first.Packet.SourcePort);
        bool icmp = observation.Packets.Any(p => p.Packet.Kind == PacketKind.PortUnreachable && client.Equals(p.Packet.Source));
        bool rightSource = replies.Count > 0 && replies.All(p => IsFrom(p.Packet, observation.Target, udp));
        int? remapped = udp && replySource is not null && replySource.Address.Equals(observation.Target.Address) && replySource.Port != observation.Target.Port
            ? replySource.Port
            : null;

        bool answered = observation.Messages.All(m => m.Answered);
        Verdict verdict = !answered ? Verdict.Fails : rightSource ? Verdict.Works : Verdict.Unproven;
        string why = Explain(verdict, observation, udp, replySource, first?.Interface ?? "", icmp, remapped);
        if (observation.Finding is not null)
        {
            why += "; " + observation.Finding;
        }

        return new RowResult(scenario, verdict, why, observation)
        {
            ReplySource = replySource,
            ReplyInterface = first?.Interface ?? "",
            IcmpSeen = icmp,
            RemappedPort = remapped,
        };
    }

    private static string Explain(Verdict verdict, LabObservation o, bool udp, IPEndPoint? source, string device, bool icmp, int? remapped)
    {
        string via = device.Length > 0 ? $" (left via {device})" : "";
        string rejected = icmp ? ", so the client rejected it (ICMP)" : "";
        string shown = udp ? Show(source) : source?.Address.ToString() ?? "";
        if (verdict == Verdict.Works)
        {
            return udp
                ? $"reply from {shown}, the address asked{via}"
                : $"one connection, one address pair: all from {shown}";
        }

        if (verdict == Verdict.Unproven)
        {
            return source is null
                ? "the client was answered, but no reply was captured"
                : $"the client was answered, but the capture shows replies from {shown}, not {Show(o.Target)}";
        }

        if (source is null)
        {
            return o.ServerRefusals.Count > 0 ? $"the server did not reply: {o.ServerRefusals[0]}" : "no reply on the wire";
        }

        if (!source.Address.Equals(o.Target.Address))
        {
            return $"reply from {source.Address}{via}, not {o.Target.Address}{rejected}";
        }

        return remapped is int port
            ? $"address rewritten, but port {o.Target.Port} became {port}{rejected}"
            : $"a reply from {shown} was captured, yet the client got nothing";
    }

    private static bool IsTowardClient(DecodedPacket packet, IPEndPoint client, bool udp) => udp
        ? packet.Kind == PacketKind.Udp && client.Address.Equals(packet.Destination) && packet.DestinationPort == client.Port
        : packet.Kind == PacketKind.Other && packet.Protocol == 6 && client.Address.Equals(packet.Destination);

    private static bool IsFrom(DecodedPacket packet, IPEndPoint target, bool udp) =>
        target.Address.Equals(packet.Source) && (!udp || packet.SourcePort == target.Port);

    /// <summary>tcpdump's address.port form (the address alone when the port is unknown, 0).</summary>
    public static string Show(IPEndPoint? endPoint) =>
        endPoint is null ? "" : endPoint.Port == 0 ? endPoint.Address.ToString() : $"{endPoint.Address}.{endPoint.Port}";
}
