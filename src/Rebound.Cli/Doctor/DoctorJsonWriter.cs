using System.Net;
using System.Text.Json;

namespace Rebound.Cli.Doctor;

/// <summary>Writes a doctor report as one JSON document for scripts (stable field names, verdicts as strings).</summary>
internal static class DoctorJsonWriter
{
    public static void Write(DoctorReport report, Stream output)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("namespace", report.Namespace);
        json.WriteBoolean("wrongSourceProven", report.WrongSourceProven);

        json.WriteStartArray("sockets");
        foreach (InventoryEntry entry in report.Inventory)
        {
            json.WriteStartObject();
            json.WriteString("local", entry.Socket.Local.ToString());
            json.WriteString("remote", entry.Socket.Remote.ToString());
            json.WriteString("exposure", entry.Exposure switch
            {
                SocketExposure.Wildcard => "wildcard",
                SocketExposure.SpecificAddress => "specific",
                _ => "connected",
            });
            json.WriteNumber("inode", entry.Socket.Inode);
            json.WriteNumber("uid", entry.Socket.Uid);
            json.WriteNumber("drops", entry.Socket.Drops);
            WriteOwners(json, entry.Owners);
            json.WriteEndObject();
        }

        json.WriteEndArray();

        json.WriteStartArray("listeners");
        foreach (ListenerReport listener in report.Listeners)
        {
            json.WriteStartObject();
            json.WriteNumber("port", listener.Port);
            json.WriteString("protocol", listener.Protocol);
            json.WriteString("verdict", ListenerReport.Describe(listener.Verdict));
            json.WriteString("explanation", listener.Explanation);
            WriteOwners(json, listener.Sockets.SelectMany(s => s.Owners).Distinct().ToList());
            json.WriteStartArray("probes");
            foreach (ProbeResult probe in listener.Probes)
            {
                json.WriteStartObject();
                json.WriteString("address", probe.Target.Address.ToString());
                json.WriteString("interface", probe.Target.Interface);
                json.WriteString("source", probe.Source.ToString());
                if (probe.Client is { } client)
                {
                    json.WriteString("client", client);
                }

                json.WriteString("verdict", ProbeResult.Describe(probe.Verdict));
                if (probe.RepliedFrom is IPEndPoint from)
                {
                    json.WriteString("repliedFrom", from.ToString());
                }

                json.WriteString("detail", probe.Detail);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("notes");
        foreach (string note in report.Notes)
        {
            json.WriteStringValue(note);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteOwners(Utf8JsonWriter json, IReadOnlyList<SocketOwner> owners)
    {
        json.WriteStartArray("processes");
        foreach (SocketOwner owner in owners)
        {
            json.WriteStartObject();
            json.WriteNumber("pid", owner.Pid);
            json.WriteString("command", owner.Command);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}
