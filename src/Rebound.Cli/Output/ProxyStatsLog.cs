using System.Globalization;
using Rebound.Proxy;

namespace Rebound.Cli.Output;

/// <summary>
/// <c>rebound proxy --stats N</c>: the proxy's counters every N seconds, as a line for people on stderr or
/// (<c>--json</c>) as a <see cref="ProxyStatsJson"/> JSON line on stdout, plus one <c>summary</c> line when it stops.
/// </summary>
internal static class ProxyStatsLog
{
    /// <summary>Writes one statistics line; <paramref name="final"/> marks the totals written when the proxy stops.</summary>
    public static void Write(bool json, ProxyStatistics statistics, bool final)
    {
        if (json)
        {
            JsonOutput.WriteLine(Console.Out, new ProxyStatsJson(
                JsonOutput.SchemaVersion, final ? "summary" : "stats", DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
                statistics.ActiveFlows, statistics.FlowsCreated, statistics.FlowsExpired, statistics.FlowsClosedByBackend,
                statistics.RefusedTableFull, statistics.RefusedClientLimit, statistics.DatagramsToBackend, statistics.DatagramsToClient,
                statistics.BytesToBackend, statistics.BytesToClient, statistics.Dropped));
        }
        else if (!final)
        {
            Console.Error.WriteLine($"rebound proxy: {statistics}");
        }
    }
}

/// <summary>
/// One <c>proxy --json</c> line: the proxy's counters since it started (<c>activeFlows</c> is a gauge), every
/// <c>--stats</c> seconds (<c>stats</c>) and once when it stops (<c>summary</c>).
/// </summary>
internal sealed record ProxyStatsJson(
    int SchemaVersion,
    string Event,
    string Time,
    long ActiveFlows,
    long FlowsCreated,
    long FlowsExpired,
    long FlowsClosedByBackend,
    long RefusedTableFull,
    long RefusedClientLimit,
    long DatagramsToBackend,
    long DatagramsToClient,
    long BytesToBackend,
    long BytesToClient,
    long Dropped);
