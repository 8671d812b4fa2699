using System.Text.Json;
using Rebound.Capture.Analysis;

namespace Rebound.Cli.Analysis;

/// <summary>The machine-readable (<c>--json</c>) form of findings and summaries; written by hand so it stays AOT-safe.</summary>
internal static class JsonReport
{
    /// <summary>The whole analysis as one JSON document (<c>analyze --json</c>).</summary>
    public static void WriteDocument(TextWriter output, string source, string format, FlowAnalyzer analyzer, string? error = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(analyzer);
        output.WriteLine(Write(json =>
        {
            json.WriteStartObject();
            json.WriteString("source", source);
            json.WriteString("format", format);
            if (error is not null)
            {
                json.WriteString("error", error);
            }

            json.WritePropertyName("summary");
            WriteSummary(json, analyzer);
            json.WriteStartArray("findings");
            foreach (Finding finding in analyzer.Findings)
            {
                WriteFinding(json, finding, eventName: null);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }));
    }

    /// <summary>One line per live event (<c>trace --json</c>).</summary>
    public static void WriteEvent(TextWriter output, FindingEvent change)
    {
        ArgumentNullException.ThrowIfNull(output);
        string name = change.Kind == FindingEventKind.NewFinding ? "finding" : "rejected";
        output.WriteLine(Write(json => WriteFinding(json, change.Finding, name)));
    }

    /// <summary>The closing line of <c>trace --json</c>.</summary>
    public static void WriteSummaryEvent(TextWriter output, string source, FlowAnalyzer analyzer)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(analyzer);
        output.WriteLine(Write(json =>
        {
            json.WriteStartObject();
            json.WriteString("event", "summary");
            json.WriteString("source", source);
            json.WritePropertyName("summary");
            WriteSummary(json, analyzer);
            json.WriteEndObject();
        }));
    }

    /// <summary>A bad-input or cannot-run error as JSON, so scripts reading --json get one object either way.</summary>
    public static void WriteError(TextWriter output, string source, string message)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine(Write(json =>
        {
            json.WriteStartObject();
            json.WriteString("source", source);
            json.WriteString("error", message);
            json.WriteEndObject();
        }));
    }

    private static void WriteSummary(Utf8JsonWriter json, FlowAnalyzer analyzer)
    {
        AnalysisSummary s = analyzer.Summary;
        json.WriteStartObject();
        json.WriteNumber("packets", s.Packets);
        json.WriteNumber("udpDatagrams", s.UdpDatagrams);
        json.WriteNumber("portUnreachables", s.PortUnreachables);
        json.WriteNumber("duplicatesIgnored", s.Duplicates);
        json.WriteNumber("flows", s.Flows);
        json.WriteNumber("flowsEvicted", s.FlowsEvicted);
        json.WriteNumber("findings", analyzer.Findings.Count);
        json.WriteNumber("rejectedFlows", analyzer.Findings.Count(f => f.RejectedByClient));
        json.WriteNumber("unlistedBadReplies", s.UnlistedBadReplies);
        WriteTime(json, "firstTimestamp", s.FirstTimestampNanoseconds);
        WriteTime(json, "lastTimestamp", s.LastTimestampNanoseconds);
        json.WriteEndObject();
    }

    private static void WriteFinding(Utf8JsonWriter json, Finding finding, string? eventName)
    {
        json.WriteStartObject();
        if (eventName is not null)
        {
            json.WriteString("event", eventName);
        }

        json.WriteString("kind", finding.Kind == FindingKind.UnexpectedSource ? "unexpected-source" : "unexpected-port");
        json.WriteString("client", finding.Client.ToString());
        json.WriteString("server", finding.Server.ToString());
        json.WriteString("replySource", finding.ReplySource.ToString());
        json.WriteString("description", finding.Describe());
        WriteMark(json, "firstRequest", finding.FirstRequest);
        WriteMark(json, "firstBadReply", finding.FirstBadReply);
        WriteMark(json, "lastBadReply", finding.LastBadReply);
        WriteMark(json, "firstRejection", finding.FirstRejection);
        json.WriteNumber("requests", finding.Requests);
        json.WriteNumber("badReplies", finding.BadReplies);
        json.WriteNumber("goodReplies", finding.GoodReplies);
        json.WriteNumber("rejections", finding.Rejections);
        json.WriteBoolean("rejectedByClient", finding.RejectedByClient);
        json.WriteEndObject();
    }

    private static void WriteMark(Utf8JsonWriter json, string name, FrameMark? mark)
    {
        if (mark is not FrameMark m)
        {
            json.WriteNull(name);
            return;
        }

        json.WriteStartObject(name);
        json.WriteNumber("frame", m.Frame);
        json.WriteString("time", CaptureTime.Format(m.TimestampNanoseconds));
        json.WriteEndObject();
    }

    private static void WriteTime(Utf8JsonWriter json, string name, long? nanoseconds)
    {
        if (nanoseconds is long ns)
        {
            json.WriteString(name, CaptureTime.Format(ns));
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static string Write(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            body(json);
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
