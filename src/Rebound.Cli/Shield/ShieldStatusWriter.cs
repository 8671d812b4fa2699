using System.Text.Json;
using Rebound.Shield;
using Spectre.Console;

namespace Rebound.Cli.Shield;

/// <summary>One shield as <c>rebound shield status</c> shows it.</summary>
internal sealed record ShieldStatus(string? CgroupPath, ulong CgroupId, string PinDirectory, bool Pinned, int Entries, int Capacity, ShieldCounters Counters)
{
    public static ShieldStatus Of(CgroupShield shield) => new(
        shield.CgroupPath, shield.CgroupId, shield.PinDirectory, shield.IsPinned, shield.CountEntries(), shield.Capacity, shield.ReadCounters());

    public string CgroupLabel => CgroupPath ?? $"(cgroup {CgroupId} was removed)";
}

/// <summary>Writes shield status as a table for people or JSON for scripts.</summary>
internal static class ShieldStatusWriter
{
    public static void WriteTable(IReadOnlyList<ShieldStatus> shields, IAnsiConsole console)
    {
        if (shields.Count == 0)
        {
            console.WriteLine("No shield is attached (nothing pinned under " + CgroupShield.PinRoot + ").");
            return;
        }

        var table = new Table().AddColumns("cgroup", "entries", "recorded", "replaced", "not recorded", "sources set", "missed", "app chose", "link-local");
        foreach (var s in shields)
        {
            var c = s.Counters;
            table.AddRow(
                Markup.Escape(s.CgroupLabel), $"{s.Entries}/{s.Capacity}", N(c.Recorded), N(c.Replaced), N(c.NotRecorded),
                N(c.SourceSet), N(c.Missed), N(c.ApplicationChose), N(c.LinkLocalLeftToKernel));
        }

        console.Write(table);
        console.WriteLine("Hooks on each: cgroup_skb ingress, UDP4_SENDMSG, UDP6_SENDMSG. Pinned under " + CgroupShield.PinRoot + ".");
    }

    public static void WriteJson(IReadOnlyList<ShieldStatus> shields, Stream output)
    {
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteStartArray("shields");
        foreach (var s in shields)
        {
            json.WriteStartObject();
            if (s.CgroupPath is null)
            {
                json.WriteNull("cgroup");
            }
            else
            {
                json.WriteString("cgroup", s.CgroupPath);
            }

            json.WriteNumber("cgroupId", s.CgroupId);
            json.WriteBoolean("pinned", s.Pinned);
            json.WriteString("pinDirectory", s.PinDirectory);
            json.WriteStartArray("hooks");
            json.WriteStringValue("cgroup_inet_ingress");
            json.WriteStringValue("cgroup_udp4_sendmsg");
            json.WriteStringValue("cgroup_udp6_sendmsg");
            json.WriteEndArray();
            json.WriteNumber("entries", s.Entries);
            json.WriteNumber("capacity", s.Capacity);
            json.WriteStartObject("counters");
            json.WriteNumber("recorded", s.Counters.Recorded);
            json.WriteNumber("replaced", s.Counters.Replaced);
            json.WriteNumber("notRecorded", s.Counters.NotRecorded);
            json.WriteNumber("sourceSet", s.Counters.SourceSet);
            json.WriteNumber("missed", s.Counters.Missed);
            json.WriteNumber("applicationChose", s.Counters.ApplicationChose);
            json.WriteNumber("linkLocalLeftToKernel", s.Counters.LinkLocalLeftToKernel);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static string N(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
