using System.Text.Json.Serialization;
using Rebound.Cli.Output;
using Rebound.Lab;

namespace Rebound.Cli.Lab;

/// <summary>Writes lab results as JSON (<c>rebound lab --json</c>, docs/output.md), for scripts and CI.</summary>
internal static class LabJson
{
    public static void Write(Stream output, LabRunResult run)
    {
        ArgumentNullException.ThrowIfNull(run);
        JsonOutput.WriteLine(output, new LabDocument(
            JsonOutput.SchemaVersion, "namespaces", run.AllMatch, Math.Round(run.Elapsed.TotalSeconds, 2), [.. run.Rows.Select(Row)]));
    }

    public static void WriteLoopback(Stream output, IReadOnlyList<LoopbackResult> results, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(results);
        JsonOutput.WriteLine(output, new LabDocument(
            JsonOutput.SchemaVersion, "loopback", results.All(r => r.MatchesExpectation), Math.Round(elapsed.TotalSeconds, 2),
            [.. results.Select((r, i) => new LabRowJson(
                $"{i + 1}", r.Server == ServerKind.Naive ? "naive server on 0.0.0.0" : "Rebound on 0.0.0.0",
                r.Expected, r.Verdict, r.MatchesExpectation, EndpointText.FormatOrAddress(r.SeenFrom), IcmpPortUnreachable: null,
                RemappedPort: null, Why: "", Transport: "udp", Client: null, Server: EndpointText.Format(r.Target),
                RepliesReceived: r.Messages.Count(m => m.Answered), [], [], [], null))]));
    }

    private static LabRowJson Row(RowResult row)
    {
        LabObservation? o = row.Observation;
        return new LabRowJson(
            row.Scenario.Id, row.Scenario.Title, row.Scenario.Expected, row.Verdict, row.MatchesExpectation,
            EndpointText.FormatOrAddress(row.ReplySource), row.IcmpSeen, row.RemappedPort, row.Why,
            o?.Transport.ToLowerInvariant(), o is null ? null : EndpointText.Format(o.Client), o is null ? null : EndpointText.Format(o.Target),
            o?.Messages.Count(m => m.Answered),
            o is null ? [] : [.. o.Messages.Select(m => new LabMessageJson(m.Sent, m.Reply))],
            o is null ? [] : [.. o.Packets.Select(p => p.Line)],
            o is null ? [] : [.. o.Commands],
            o?.Flows is null ? null : [.. o.Flows.Select(f => f.Line)]);
    }
}

/// <summary><c>rebound lab --json</c>: every row's verdict and evidence (<c>mode</c>: namespaces, or loopback without root).</summary>
internal sealed record LabDocument(int SchemaVersion, string Mode, bool AllMatch, double Seconds, IReadOnlyList<LabRowJson> Rows);

/// <summary>One lab row: what was expected, what happened, and the evidence behind the verdict.</summary>
internal sealed record LabRowJson(
    string Id,
    string Title,
    [property: JsonConverter(typeof(KebabCaseEnumConverter<Verdict>))] Verdict Expected,
    [property: JsonConverter(typeof(KebabCaseEnumConverter<Verdict>))] Verdict Verdict,
    bool Matches,
    string? ReplySource,
    bool? IcmpPortUnreachable,
    int? RemappedPort,
    string Why,
    string? Transport,
    string? Client,
    string? Server,
    int? RepliesReceived,
    IReadOnlyList<LabMessageJson> Messages,
    IReadOnlyList<string> Packets,
    IReadOnlyList<string> Commands,
    IReadOnlyList<string>? Conntrack);

/// <summary>A message the row's client sent, and the reply it got (null: none).</summary>
internal sealed record LabMessageJson(string Sent, string? Reply);
