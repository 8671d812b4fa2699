using System.Diagnostics;
using System.Net.Sockets;
using Rebound.Cli.Infrastructure;
using Rebound.Lab;

namespace Rebound.Cli.Lab;

/// <summary>The outcome of a lab run: one result per row, and how long the whole run took (topology included).</summary>
internal sealed record LabRunResult(IReadOnlyList<RowResult> Rows, TimeSpan Elapsed)
{
    public bool AllMatch => Rows.All(r => r.MatchesExpectation);
}

/// <summary>Builds the topology once, runs the chosen rows on it in order, and tears it down whatever happens.</summary>
internal static class LabRunner
{
    /// <summary>Runs <paramref name="scenarios"/>; <paramref name="starting"/> hears of each row before it runs.</summary>
    /// <exception cref="InvalidOperationException">The topology could not be built here.</exception>
    public static LabRunResult Run(IReadOnlyList<LabScenario> scenarios, Action<LabScenario>? starting, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(scenarios);
        var clock = Stopwatch.StartNew();
        var rows = new List<RowResult>();
        using (LabBench bench = LabBench.Create())
        {
            foreach (LabScenario scenario in scenarios)
            {
                cancellation.ThrowIfCancellationRequested();
                starting?.Invoke(scenario);
                rows.Add(RunRow(bench, scenario));
            }
        }

        return new LabRunResult(rows, clock.Elapsed);
    }

    /// <summary>Runs one row; a missing program skips it and a setup failure is reported, never turned into a verdict.</summary>
    public static RowResult RunRow(LabBench bench, LabScenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        if (scenario.Needs.Any(program => !ProcessRunner.IsInstalled(program)))
        {
            return new RowResult(scenario, Verdict.Skipped, $"skipped: install {string.Join(' ', scenario.Needs)}");
        }

        try
        {
            return LabEvidence.Judge(scenario, scenario.Run(bench));
        }
        catch (Exception e) when (e is InvalidOperationException or SocketException or IOException or UnauthorizedAccessException)
        {
            return new RowResult(scenario, Verdict.Error, e.Message);
        }
    }
}
