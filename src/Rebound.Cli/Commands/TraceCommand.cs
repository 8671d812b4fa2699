using System.CommandLine;
using System.Runtime.InteropServices;
using Rebound.Cli.Analysis;
using Rebound.Cli.Infrastructure;

namespace Rebound.Cli.Commands;

/// <summary><c>rebound trace</c>: the <c>analyze</c> findings on live traffic.</summary>
internal static class TraceCommand
{
    public static Command Create()
    {
        var iface = new Option<string?>("--interface", "-i") { HelpName = "NAME", Description = "Interface to capture on (default: all interfaces, like -i any)." };
        var netns = new Option<string?>("--netns") { HelpName = "NAME", Description = "Capture inside this named network namespace (as listed by `ip netns list`)." };
        var duration = new Option<double?>("--duration", "-d") { HelpName = "SECONDS", Description = "Stop after this many seconds (default: run until Ctrl-C)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object per event and a closing summary object." };
        Option<double> window = AnalyzeCommand.WindowOption();

        var command = new Command("trace", "Watch live UDP traffic and name replies that come back from the wrong address or port (needs root).")
        {
            iface, netns, duration, json, window,
        }.WithEpilogue(
            "Examples:\n  sudo rebound trace -i docker0\n  sudo rebound trace --netns myns --duration 30 --json\n\n" +
            "Exit codes: 0 no findings, 1 findings, 2 usage error (no such interface or namespace), 4 not root.");
        command.SetAction((parse, cancellation) =>
        {
            double? seconds = parse.GetValue(duration);
            if (seconds is double s && !(s > 0 && s <= 86_400 * 365))
            {
                Console.Error.WriteLine($"rebound trace: --duration must be a positive number of seconds (got {s}).");
                return Task.FromResult(ExitCodes.Usage);
            }

            if (!AnalyzeCommand.TryGetWindow(parse, window, "trace", out TimeSpan span))
            {
                return Task.FromResult(ExitCodes.Usage);
            }

            var settings = new TraceSettings(parse.GetValue(iface), parse.GetValue(netns),
                seconds is double d ? TimeSpan.FromSeconds(d) : null, span, parse.GetValue(json));
            return RunUntilSignalAsync(settings, cancellation);
        });
        return command;
    }

    /// <summary>
    /// Runs the trace until its duration ends or SIGINT/SIGTERM arrives; a signal stops the capture (rather than killing
    /// the process) so the summary is still printed.
    /// </summary>
    private static async Task<int> RunUntilSignalAsync(TraceSettings settings, CancellationToken cancellation)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using PosixSignalRegistration terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        // The capture loop blocks in poll(); it checks the token every 200 ms.
        return await Task.Run(() => LiveTrace.Run(settings, Console.Out, Console.Error, stop.Token), CancellationToken.None).ConfigureAwait(false);
    }
}
