using System.Text.Json.Serialization;
using Rebound.Capture;
using Rebound.Capture.Analysis;
using Rebound.Cli.Output;

namespace Rebound.Cli.Analysis;

/// <summary>
/// The machine-readable (<c>--json</c>) form of findings and summaries: <c>analyze --json</c> writes one
/// <see cref="AnalyzeDocument"/>, <c>trace --json</c> one <see cref="FindingJson"/> line per event and a
/// <see cref="TraceSummaryJson"/> line at the end (docs/output.md).
/// </summary>
internal static class JsonReport
{
    /// <summary>The whole analysis as one JSON document (<c>analyze --json</c>).</summary>
    public static void WriteDocument(TextWriter output, string input, string format, LinkType? linkType, FlowAnalyzer analyzer, string? error = null)
    {
        ArgumentNullException.ThrowIfNull(analyzer);
        JsonOutput.WriteLine(output, new AnalyzeDocument(
            JsonOutput.SchemaVersion, input, format, linkType is LinkType t ? LinkTypeNames.Name(t) : null, error, Summary(analyzer), [.. analyzer.Findings.Select(f => FindingJson.From(f, null))]));
    }

    /// <summary>One line per live event (<c>trace --json</c>).</summary>
    public static void WriteEvent(TextWriter output, FindingEvent change)
    {
        JsonOutput.WriteLine(output, FindingJson.From(change.Finding, change.Kind == FindingEventKind.NewFinding ? "finding" : "rejected"));
    }

    /// <summary>The closing line of <c>trace --json</c>.</summary>
    public static void WriteSummaryEvent(TextWriter output, string input, FlowAnalyzer analyzer)
    {
        ArgumentNullException.ThrowIfNull(analyzer);
        JsonOutput.WriteLine(output, new TraceSummaryJson(JsonOutput.SchemaVersion, "summary", input, Summary(analyzer)));
    }

    /// <summary>A bad-input or cannot-run error as JSON, so scripts reading --json get one object either way.</summary>
    public static void WriteError(TextWriter output, string input, string message) =>
        JsonOutput.WriteLine(output, new AnalyzeErrorJson(JsonOutput.SchemaVersion, input, message));

    private static AnalysisSummaryJson Summary(FlowAnalyzer analyzer)
    {
        AnalysisSummary s = analyzer.Summary;
        return new AnalysisSummaryJson(
            s.Packets, s.UdpDatagrams, s.PortUnreachables, s.Duplicates, s.Flows, s.FlowsEvicted, analyzer.Findings.Count,
            analyzer.Findings.Count(f => f.RejectedByClient), s.UnlistedBadReplies,
            Time(s.FirstTimestampNanoseconds), Time(s.LastTimestampNanoseconds));
    }

    internal static string? Time(long? nanoseconds) => nanoseconds is long ns ? CaptureTime.Format(ns) : null;
}

/// <summary><c>rebound analyze --json</c>: what was read, the counts, and every finding.</summary>
internal sealed record AnalyzeDocument(
    int SchemaVersion,
    string Input,
    string Format,
    string? LinkType,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error,
    AnalysisSummaryJson Summary,
    IReadOnlyList<FindingJson> Findings);

/// <summary>An analysis that could not read its input.</summary>
internal sealed record AnalyzeErrorJson(int SchemaVersion, string Input, string Error);

/// <summary>The closing line of <c>trace --json</c>.</summary>
internal sealed record TraceSummaryJson(int SchemaVersion, string Event, string Input, AnalysisSummaryJson Summary);

/// <summary>The counts behind an analysis (times ISO-8601, null when no packet was read).</summary>
internal sealed record AnalysisSummaryJson(
    long Packets,
    long UdpDatagrams,
    long PortUnreachables,
    long DuplicatesIgnored,
    long Flows,
    long FlowsEvicted,
    int Findings,
    int RejectedFlows,
    long UnlistedBadReplies,
    string? FirstTimestamp,
    string? LastTimestamp);

/// <summary>A packet's frame number and ISO-8601 time.</summary>
internal sealed record FrameMarkJson(long Frame, string Time);

/// <summary>
/// One finding. Inside <c>analyze</c>'s document it has no <c>schemaVersion</c> or <c>event</c>; as a line of
/// <c>trace --json</c> it has both (<c>finding</c> when new, <c>rejected</c> when the client first rejects it).
/// </summary>
internal sealed record FindingJson(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? SchemaVersion,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Event,
    [property: JsonConverter(typeof(KebabCaseEnumConverter<FindingKind>))] FindingKind Kind,
    string Client,
    string Server,
    string ReplySource,
    string Description,
    FrameMarkJson? FirstRequest,
    FrameMarkJson? FirstBadReply,
    FrameMarkJson? LastBadReply,
    FrameMarkJson? FirstRejection,
    int Requests,
    int BadReplies,
    int GoodReplies,
    int Rejections,
    bool RejectedByClient)
{
    public static FindingJson From(Finding finding, string? eventName)
    {
        ArgumentNullException.ThrowIfNull(finding);
        return new FindingJson(
            eventName is null ? null : JsonOutput.SchemaVersion, eventName, finding.Kind,
            Endpoint(finding.Client), Endpoint(finding.Server), Endpoint(finding.ReplySource), finding.Describe(),
            Mark(finding.FirstRequest), Mark(finding.FirstBadReply), Mark(finding.LastBadReply), Mark(finding.FirstRejection),
            finding.Requests, finding.BadReplies, finding.GoodReplies, finding.Rejections, finding.RejectedByClient);
    }

    private static string Endpoint(FlowEndpoint endpoint) => EndpointText.Format(endpoint.Address, endpoint.Port);

    private static FrameMarkJson? Mark(FrameMark? mark) =>
        mark is FrameMark m ? new FrameMarkJson(m.Frame, CaptureTime.Format(m.TimestampNanoseconds)) : null;
}
