using System.Text.Json.Serialization;
using Rebound.Cli.Output;

namespace Rebound.Cli.Doctor;

/// <summary><c>rebound doctor --json</c> (docs/output.md, docs/schemas/doctor.schema.json): the report as one document.</summary>
internal sealed record DoctorDocument(
    int SchemaVersion,
    string Namespace,
    bool WrongSourceProven,
    IReadOnlyList<DoctorSocketJson> Sockets,
    IReadOnlyList<DoctorListenerJson> Listeners,
    IReadOnlyList<string> Notes)
{
    public static DoctorDocument From(DoctorReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new DoctorDocument(
            JsonOutput.SchemaVersion,
            report.Namespace,
            report.WrongSourceProven,
            [.. report.Inventory.Select(e => new DoctorSocketJson(
                EndpointText.Format(e.Socket.Local), EndpointText.Format(e.Socket.Remote), e.Exposure,
                e.Socket.Inode, e.Socket.Uid, e.Socket.Drops, Processes(e.Owners)))],
            [.. report.Listeners.Select(l => new DoctorListenerJson(
                l.Port, l.Protocol, l.Verdict, l.Explanation, Processes([.. l.Sockets.SelectMany(s => s.Owners).Distinct()]), l.Shield.ShieldCgroup, l.Shield.Fix,
                [.. l.Probes.Select(p => new DoctorProbeJson(
                    EndpointText.Address(p.Target.Address), EndpointText.Format(p.Target.Address, p.Port), p.Target.Interface,
                    EndpointText.Address(p.Source), p.Verdict, p.RepliedFrom is null ? null : EndpointText.Format(p.RepliedFrom), p.Detail, p.Client))]))],
            report.Notes);
    }

    private static List<DoctorProcessJson> Processes(IEnumerable<SocketOwner> owners) =>
        [.. owners.Select(o => new DoctorProcessJson(o.Pid, o.Command))];
}

/// <summary>One UDP socket of the namespace, as <c>ss -u</c> would list it, with its owning processes.</summary>
internal sealed record DoctorSocketJson(
    string Local,
    string Peer,
    [property: JsonConverter(typeof(KebabCaseEnumConverter<SocketExposure>))] SocketExposure Exposure,
    ulong Inode,
    uint Uid,
    ulong Drops,
    IReadOnlyList<DoctorProcessJson> Processes);

/// <summary>A process holding a socket.</summary>
internal sealed record DoctorProcessJson(int Pid, string Command);

/// <summary>
/// One probed port and its verdict; <c>shield</c> is the cgroup whose <c>rebound shield</c> covers its processes (null:
/// none), <c>fix</c> the <c>rebound shield attach …</c> line that fixes an at-risk one (null otherwise).
/// </summary>
internal sealed record DoctorListenerJson(
    int Port,
    string Protocol,
    [property: JsonConverter(typeof(KebabCaseEnumConverter<ListenerVerdict>))] ListenerVerdict Verdict,
    string Explanation,
    IReadOnlyList<DoctorProcessJson> Processes,
    string? Shield,
    string? Fix,
    IReadOnlyList<DoctorProbeJson> Probes);

/// <summary>
/// One probe: a request from <c>clientAddress</c> to <c>server</c>, and where the reply came from; <c>clientNamespace</c>
/// names the clients' network namespace with <c>--from-…</c> (null: asked from the inspected namespace itself).
/// </summary>
internal sealed record DoctorProbeJson(
    string LocalAddress,
    string Server,
    string Interface,
    string ClientAddress,
    [property: JsonConverter(typeof(KebabCaseEnumConverter<ProbeVerdict>))] ProbeVerdict Verdict,
    string? ReplySource,
    string Detail,
    string? ClientNamespace);
