using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using Rebound.Lab;

namespace Rebound.Cli.Lab;

/// <summary>Writes lab results as JSON (<c>rebound lab --json</c>), for scripts and CI. No reflection: AOT-safe.</summary>
internal static class LabJson
{
    // Relaxed escaping keeps '>' and '+' readable in packet lines; the output is never embedded in HTML.
    private static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Write(Stream output, LabRunResult run)
    {
        ArgumentNullException.ThrowIfNull(run);
        using var json = new Utf8JsonWriter(output, Options);
        json.WriteStartObject();
        json.WriteBoolean("allMatch", run.AllMatch);
        json.WriteNumber("seconds", Math.Round(run.Elapsed.TotalSeconds, 2));
        json.WriteStartArray("rows");
        foreach (RowResult row in run.Rows)
        {
            WriteRow(json, row);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
        output.WriteByte((byte)'\n');
    }

    public static void WriteLoopback(Stream output, IReadOnlyList<LoopbackResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        using var json = new Utf8JsonWriter(output, Options);
        json.WriteStartObject();
        json.WriteString("mode", "loopback");
        json.WriteBoolean("allMatch", results.All(r => r.MatchesExpectation));
        json.WriteStartArray("rows");
        foreach (LoopbackResult r in results)
        {
            json.WriteStartObject();
            json.WriteString("server", r.Server == ServerKind.Naive ? "naive" : "rebound");
            json.WriteString("expected", LabReport.Name(r.Expected));
            json.WriteString("verdict", LabReport.Name(r.Verdict));
            json.WriteString("target", r.Target.ToString());
            WriteEndPoint(json, "replySource", r.SeenFrom);
            json.WriteNumber("repliesReceived", r.Messages.Count(m => m.Answered));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
        output.WriteByte((byte)'\n');
    }

    private static void WriteRow(Utf8JsonWriter json, RowResult row)
    {
        json.WriteStartObject();
        json.WriteString("id", row.Scenario.Id);
        json.WriteString("title", row.Scenario.Title);
        json.WriteString("expected", LabReport.Name(row.Scenario.Expected));
        json.WriteString("verdict", LabReport.Name(row.Verdict));
        json.WriteBoolean("matches", row.MatchesExpectation);
        WriteEndPoint(json, "replySource", row.ReplySource);
        json.WriteBoolean("icmpPortUnreachable", row.IcmpSeen);
        if (row.RemappedPort is int port)
        {
            json.WriteNumber("remappedPort", port);
        }
        else
        {
            json.WriteNull("remappedPort");
        }

        json.WriteString("why", row.Why);
        if (row.Observation is LabObservation o)
        {
            json.WriteString("transport", o.Transport);
            json.WriteString("client", o.Client.ToString());
            json.WriteString("target", o.Target.ToString());
            json.WriteStartArray("messages");
            foreach (ClientMessage m in o.Messages)
            {
                json.WriteStartObject();
                json.WriteString("sent", m.Sent);
                json.WriteString("reply", m.Reply);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            WriteStrings(json, "packets", o.Packets.Select(p => p.Line));
            WriteStrings(json, "commands", o.Commands);
            if (o.Flows is not null)
            {
                WriteStrings(json, "conntrack", o.Flows.Select(f => f.Line));
            }
        }

        json.WriteEndObject();
    }

    private static void WriteEndPoint(Utf8JsonWriter json, string name, IPEndPoint? endPoint)
    {
        if (endPoint is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, endPoint.Port == 0 ? endPoint.Address.ToString() : endPoint.ToString());
        }
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (string value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }
}
