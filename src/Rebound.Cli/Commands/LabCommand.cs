using System.CommandLine;
using Rebound.Cli.Infrastructure;
using Rebound.Cli.Lab;
using Rebound.Lab;
using Spectre.Console;

namespace Rebound.Cli.Commands;

/// <summary>
/// <c>rebound lab</c>: builds the field report's machines as network namespaces, runs the failure, every workaround and
/// the fix, and backs each verdict with captured packets. Without root it runs a loopback demonstration instead.
/// </summary>
internal static class LabCommand
{
    /// <summary>Exit code after Ctrl-C (128 + SIGINT), as shells report it.</summary>
    public const int Interrupted = 130;

    public static Command Create()
    {
        var verbose = new Option<bool>("--verbose", "-v") { Description = "After the table, print each row's client messages, commands and captured packets." };
        var json = new Option<bool>("--json") { Description = "Write the results as JSON on stdout (nothing else)." };
        var scenario = new Option<int?>("--scenario") { HelpName = "N", Description = "Run only row N (1-12; variants such as 6a/6b run together)." };
        var cleanup = new Option<bool>("--cleanup") { Description = "Delete namespaces left behind by lab runs whose process died, then exit." };

        var command = new Command("lab", "Reproduce the field report in network namespaces: the failure, the workarounds, the fix, with packet evidence.")
        {
            verbose, json, scenario, cleanup,
        }.WithEpilogue(
            "Needs root and iproute2 (iptables and conntrack for rows 5-6). Without them, a loopback demonstration runs instead.\n\n" +
            "Examples:\n  sudo rebound lab                 # the whole matrix, as a table\n" +
            "  sudo rebound lab --scenario 5 -v  # the SNAT workaround, with packets and conntrack\n" +
            "  sudo rebound lab --json          # for scripts\n" +
            "  sudo rebound lab --cleanup       # remove namespaces of a lab that was killed\n\n" +
            ExitCodes.Help + " 130 after Ctrl-C. Without root or ip: 2 (the loopback demonstration still runs; 1 if it misbehaves).");
        command.SetAction((parse, cancellation) =>
        {
            var settings = new LabSettings(parse.GetValue(verbose), parse.GetValue(json), parse.GetValue(scenario));
            return Task.FromResult(parse.GetValue(cleanup) ? Cleanup() : Run(settings, cancellation));
        });
        return command;
    }

    private static int Run(LabSettings settings, CancellationToken cancellation)
    {
        IReadOnlyList<LabScenario> scenarios = LabScenarios.All;
        if (settings.Scenario is int number)
        {
            scenarios = [.. scenarios.Where(s => s.Number == number)];
            if (scenarios.Count == 0)
            {
                Console.Error.WriteLine($"rebound lab: --scenario {number}: there is no such row; rows are {LabScenarios.All.Min(s => s.Number)}-{LabScenarios.All.Max(s => s.Number)}.");
                return ExitCodes.Usage;
            }
        }

        if (Privileges.WhyNamespacesUnavailable() is string why)
        {
            Console.Error.WriteLine($"rebound lab: {why}, so the namespace lab cannot run here; showing the same failure on loopback instead.");
            return RunLoopback(settings);
        }

        // A terminal: tables fit it; COLUMNS: that width; piped: plain columns and unwrapped packet lines.
        TableOutput output = TableOutput.ForStandardOutput();
        IAnsiConsole console = output.Console;

        try
        {
            LabRunResult run = settings.Json || !console.Profile.Capabilities.Interactive
                ? LabRunner.Run(scenarios, null, cancellation)
                : console.Status().Start("Building the topology…", context =>
                    LabRunner.Run(scenarios, s => context.Status(Markup.Escape($"Row {s.Id}: {s.Title}…")), cancellation));
            if (settings.Json)
            {
                using Stream stdout = Console.OpenStandardOutput();
                LabJson.Write(stdout, run);
            }
            else
            {
                LabReport.Write(output, run, settings.Verbose);
            }

            return run.AllMatch ? ExitCodes.Success : ExitCodes.Finding;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("rebound lab: interrupted; its namespaces were removed.");
            return Interrupted;
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"rebound lab: cannot build the lab here: {e.Message}");
            return ExitCodes.Usage;
        }
    }

    private static int RunLoopback(LabSettings settings)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        IReadOnlyList<LoopbackResult> results = LoopbackDemo.Run();
        if (settings.Json)
        {
            using Stream stdout = Console.OpenStandardOutput();
            LabJson.WriteLoopback(stdout, results, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
        else
        {
            LabReport.WriteLoopback(TableOutput.ForStandardOutput(), results);
        }

        return results.All(r => r.MatchesExpectation) ? ExitCodes.Usage : ExitCodes.Finding;
    }

    private static int Cleanup()
    {
        if (Privileges.WhyNamespacesUnavailable() is string why)
        {
            Console.Error.WriteLine($"rebound lab --cleanup: {why}.");
            return ExitCodes.Usage;
        }

        IReadOnlyList<string> removed = NamespaceJanitor.RemoveLeftovers();
        Console.WriteLine(removed.Count == 0
            ? "rebound lab --cleanup: no leftover namespaces."
            : $"rebound lab --cleanup: removed {removed.Count} leftover namespace(s): {string.Join(", ", removed)}.");
        return ExitCodes.Success;
    }
}

/// <summary>What <c>rebound lab</c> was asked to do.</summary>
internal sealed record LabSettings(bool Verbose, bool Json, int? Scenario);
