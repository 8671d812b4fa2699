using Rebound.Cli.Infrastructure;
using Rebound.Cli.Output;
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

/// <summary><c>rebound shield status --json</c>: every pinned shield (docs/schemas/shield.schema.json).</summary>
internal sealed record ShieldStatusDocument(int SchemaVersion, IReadOnlyList<ShieldStatusJson> Shields);

/// <summary>One shield in <see cref="ShieldStatusDocument"/>; <c>cgroup</c> is null when its cgroup was removed.</summary>
internal sealed record ShieldStatusJson(
    string? Cgroup, ulong CgroupId, bool Pinned, string PinDirectory, IReadOnlyList<string> Hooks, int Entries, int Capacity, ShieldCounters Counters);

/// <summary>Writes shield status as a table for people or JSON for scripts.</summary>
internal static class ShieldStatusWriter
{
    private static readonly string[] Hooks = ["cgroup_inet_ingress", "cgroup_udp4_sendmsg", "cgroup_udp6_sendmsg"];

    public static void WriteTable(IReadOnlyList<ShieldStatus> shields, TableOutput output)
    {
        if (shields.Count == 0)
        {
            output.Console.WriteLine("No shield is attached (nothing pinned under " + CgroupShield.PinRoot + ").");
            return;
        }

        var table = new Table().AddColumns("cgroup", "entries", "recorded", "replaced", "not recorded", "sources set", "missed", "app chose", "link-local");
        table.Columns[0].NoWrap();
        foreach (var s in shields)
        {
            var c = s.Counters;
            table.AddRow(
                Markup.Escape(s.CgroupLabel), $"{s.Entries}/{s.Capacity}", N(c.Recorded), N(c.Replaced), N(c.NotRecorded),
                N(c.SourceSet), N(c.Missed), N(c.ApplicationChose), N(c.LinkLocalLeftToKernel));
        }

        output.Write(table);
        output.Console.WriteLine("Hooks on each: cgroup_skb ingress, UDP4_SENDMSG, UDP6_SENDMSG. Pinned under " + CgroupShield.PinRoot + ".");
    }

    public static void WriteJson(IReadOnlyList<ShieldStatus> shields, Stream output) =>
        JsonOutput.WriteLine(output, new ShieldStatusDocument(
            JsonOutput.SchemaVersion,
            [.. shields.Select(s => new ShieldStatusJson(s.CgroupPath, s.CgroupId, s.Pinned, s.PinDirectory, Hooks, s.Entries, s.Capacity, s.Counters))]));

    private static string N(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
