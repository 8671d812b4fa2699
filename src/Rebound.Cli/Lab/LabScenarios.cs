using System.Net;
using Rebound.Lab;
using static Rebound.Lab.FieldReportTopology;

namespace Rebound.Cli.Lab;

/// <summary>
/// The lab's matrix: the field report's experiment, every workaround people try, and the fix. Each entry sets a row
/// up on the shared <see cref="LabBench"/>; the verdict comes from <see cref="LabEvidence"/>. To add a row (e.g.
/// "naive server behind rebound proxy"), add one entry.
/// </summary>
internal static class LabScenarios
{
    private static readonly IPEndPoint AnyV4 = new(IPAddress.Any, 0);
    private static readonly IPEndPoint AnyV6 = new(IPAddress.IPv6Any, 0);
    private static readonly string[] Iptables = ["iptables"];
    private static readonly string[] IptablesConntrack = ["iptables", "conntrack"];

    public static IReadOnlyList<LabScenario> All { get; } =
    [
        new("1", "Naive server on 0.0.0.0", Verdict.Fails, b => b.RunUdp(new(ServerKind.Naive, AnyV4, HostEth0V4))),
        new("2", "Naive server on [::], V6ONLY=0 (the report's)", Verdict.Fails, b => b.RunUdp(new(ServerKind.Naive, AnyV6, HostEth0V4))),
        new("3", "Naive server bound to eth0's address", Verdict.Works, b => b.RunUdp(new(ServerKind.Naive, new IPEndPoint(HostEth0V4, 0), HostEth0V4))),
        new("4", "TCP server on 0.0.0.0", Verdict.Works, b => b.RunTcp(AnyV4, HostEth0V4)),
        new("5", "Naive + SNAT 192.0.2.1 -> 198.51.100.13", Verdict.Fails, b => b.RunUdp(new(ServerKind.Naive, AnyV4, HostEth0V4)
        {
            Rules = port => [Snat(port)],
            Inspect = ExplainSnat,
        }))
        { Needs = IptablesConntrack },
        new("6a", "Naive + NOTRACK (raw table)", Verdict.Fails, b => b.RunUdp(new(ServerKind.Naive, AnyV4, HostEth0V4)
        {
            Rules = port => [.. NoTrack(port)],
            Inspect = ExplainNoTrack,
        }))
        { Needs = IptablesConntrack },
        new("6b", "Naive + NOTRACK + SNAT", Verdict.Fails, b => b.RunUdp(new(ServerKind.Naive, AnyV4, HostEth0V4)
        {
            Rules = port => [.. NoTrack(port), Snat(port)],
            Inspect = ExplainNoTrack,
        }))
        { Needs = IptablesConntrack },
        new("7", "Rebound server on 0.0.0.0", Verdict.Works, b => b.RunUdp(new(ServerKind.Rebound, AnyV4, HostEth0V4))),
        new("8", "Rebound server on [::], dual-stack", Verdict.Works, b => b.RunUdp(new(ServerKind.Rebound, AnyV6, HostEth0V4))),
        new("9a", "IPv6 via the bridge: naive [::] server", Verdict.Fails, b => b.RunUdp(new(ServerKind.Naive, AnyV6, HostEth0V6))),
        new("9b", "IPv6 via the bridge: Rebound [::] server", Verdict.Works, b => b.RunUdp(new(ServerKind.Rebound, AnyV6, HostEth0V6))),
        new("10a", "Control: naive, client asks the bridge 192.0.2.1", Verdict.Works, b => b.RunUdp(new(ServerKind.Naive, AnyV4, BridgeV4))),
        new("10b", "Control: Rebound, client asks the bridge 192.0.2.1", Verdict.Works, b => b.RunUdp(new(ServerKind.Rebound, AnyV4, BridgeV4))),
        new("11a", "Two uplinks, request on the second: naive", Verdict.Fails,
            b => b.RunUdp(new(ServerKind.Naive, AnyV4, SecondUplinkV4) { ViaSecondUplink = true })),
        new("11b", "Two uplinks, request on the second: Rebound", Verdict.Works,
            b => b.RunUdp(new(ServerKind.Rebound, AnyV4, SecondUplinkV4) { ViaSecondUplink = true })),
        new("12", "Naive server on 127.0.0.1 behind rebound proxy on [::]", Verdict.Works,
            b => b.RunUdp(new(ServerKind.Naive, AnyV6, HostEth0V4) { BehindProxy = true })),
    ];

    private static string[] Snat(int port) =>
        ["-t", "nat", "-A", "POSTROUTING", "-s", BridgeV4.ToString(), "-p", "udp", "--sport", Port(port), "-j", "SNAT", "--to-source", HostEth0V4.ToString()];

    private static IEnumerable<string[]> NoTrack(int port) =>
    [
        ["-t", "raw", "-A", "PREROUTING", "-p", "udp", "--dport", Port(port), "-j", "NOTRACK"],
        ["-t", "raw", "-A", "OUTPUT", "-p", "udp", "--sport", Port(port), "-j", "NOTRACK"],
    ];

    private static string Port(int port) => port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Row 5: conntrack shows the reply as a second flow whose translated source port differs (the tuple clash).</summary>
    private static void ExplainSnat(LabBench bench, LabObservation observation, int port)
    {
        IReadOnlyList<ConntrackEntry> flows = Relevant(bench, observation, port);
        ConntrackEntry? reply = flows.FirstOrDefault(f => f.OriginalSource.Address.Equals(BridgeV4) && f.OriginalSource.Port == port);
        ConntrackEntry? request = flows.FirstOrDefault(f => f.OriginalSource.Equals(observation.Client));
        if (reply is null)
        {
            observation.Finding = "conntrack -L shows no flow for the reply";
        }
        else if (reply.TranslatedSource.Port != port && request is not null)
        {
            observation.Finding = $"conntrack: {LabEvidence.Show(request.ReplySource)} is taken by the request's flow";
        }
        else
        {
            observation.Finding = $"conntrack: the reply's flow is translated to {LabEvidence.Show(reply.TranslatedSource)}";
        }
    }

    /// <summary>Row 6: NOTRACK leaves no flow, and NAT works only on tracked flows.</summary>
    private static void ExplainNoTrack(LabBench bench, LabObservation observation, int port)
    {
        IReadOnlyList<ConntrackEntry> flows = Relevant(bench, observation, port);
        observation.Finding = flows.Count == 0
            ? "no conntrack flow, so no NAT"
            : $"conntrack -L still shows {flows.Count} flow(s) for port {port}";
    }

    private static IReadOnlyList<ConntrackEntry> Relevant(LabBench bench, LabObservation observation, int port)
    {
        IReadOnlyList<ConntrackEntry> flows = [.. bench.HostFlows().Where(f => f.OriginalSource.Port == port || f.OriginalDestination.Port == port)];
        observation.Flows = flows;
        return flows;
    }
}
