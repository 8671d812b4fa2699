using Rebound.Capture;
using Rebound.Capture.Analysis;
using Rebound.Cli.Infrastructure;
using Rebound.Lab;
using Spectre.Console;

namespace Rebound.Cli.Analysis;

/// <summary>What <c>rebound trace</c> was asked to do.</summary>
internal sealed record TraceSettings(string? Interface, string? Namespace, TimeSpan? Duration, TimeSpan Window, bool Json);

/// <summary>
/// <c>rebound trace</c>: the analysis of <see cref="FlowAnalyzer"/> on live traffic from an AF_PACKET socket (opened inside
/// <c>--netns</c> when given), printing each finding as it happens and a summary at the end (Ctrl-C or <c>--duration</c>).
/// </summary>
internal static class LiveTrace
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>Runs the trace; blocks until <paramref name="cancellation"/> fires or the duration is over.</summary>
    /// <param name="started">Called once the capture socket is open (tests wait for it before sending traffic).</param>
    public static int Run(TraceSettings settings, TextWriter output, TextWriter error, CancellationToken cancellation, Action? started = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        string where = $"{(settings.Interface is null or "any" ? "all interfaces" : settings.Interface)}" +
                       (settings.Namespace is null ? "" : $" in network namespace {settings.Namespace}");
        PacketCaptureSocket capture;
        try
        {
            capture = settings.Namespace is null ? Open(settings.Interface) : NetworkNamespace.RunIn(settings.Namespace, () => Open(settings.Interface));
        }
        catch (UnauthorizedAccessException e)
        {
            error.WriteLine($"rebound trace: {e.Message}");
            return ExitCodes.Permission;
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"rebound trace: {e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal)}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            error.WriteLine($"rebound trace: {e.Message}");
            return ExitCodes.Usage;
        }

        using (capture)
        {
            IAnsiConsole console = HumanReport.ConsoleFor(output);
            string banner = $"Tracing UDP and ICMP on {where}" + (settings.Duration is TimeSpan d ? $" for {d.TotalSeconds:0.###} s" : "") + "; Ctrl-C stops.";
            if (settings.Json)
            {
                error.WriteLine(banner); // stdout stays pure JSON lines
            }
            else
            {
                console.MarkupLine(Markup.Escape(banner));
            }

            var analyzer = new FlowAnalyzer(settings.Window);
            // The kernel switches receive timestamping on (a static key) in deferred work after SO_TIMESTAMPNS; a packet
            // that passes before that is stamped when read, as user-space time would be. Give it a moment.
            Thread.Sleep(TimestampSettle);
            started?.Invoke();
            Capture(capture, analyzer, settings, console, output, cancellation);
            if (settings.Json)
            {
                JsonReport.WriteSummaryEvent(output, where, analyzer);
            }
            else
            {
                HumanReport.WriteReport(console, where, "live capture (AF_PACKET)", analyzer);
            }

            return analyzer.Findings.Count > 0 ? ExitCodes.Finding : ExitCodes.Success;
        }
    }

    private static readonly TimeSpan TimestampSettle = TimeSpan.FromMilliseconds(100);

    private static void Capture(PacketCaptureSocket capture, FlowAnalyzer analyzer, TraceSettings settings, IAnsiConsole console, TextWriter output, CancellationToken cancellation)
    {
        byte[] buffer = new byte[65536];
        long frame = 0;
        DateTime end = settings.Duration is TimeSpan duration ? DateTime.UtcNow + duration : DateTime.MaxValue;
        while (!cancellation.IsCancellationRequested)
        {
            TimeSpan left = end == DateTime.MaxValue ? PollInterval : end - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                break;
            }

            if (!capture.TryReceive(buffer, left < PollInterval ? left : PollInterval, out CapturedFrame captured))
            {
                continue;
            }

            DecodedPacket packet = PacketDecoder.Decode(LinkType.Raw, buffer.AsSpan(0, captured.CapturedLength));
            if (analyzer.Observe(++frame, CaptureTime.FromDateTimeOffset(captured.Timestamp), packet) is FindingEvent change)
            {
                if (settings.Json)
                {
                    JsonReport.WriteEvent(output, change);
                    output.Flush();
                }
                else
                {
                    HumanReport.WriteEvent(console, change);
                }
            }
        }
    }

    private static PacketCaptureSocket Open(string? interfaceName) =>
        interfaceName is null or "any" ? PacketCaptureSocket.Open(0, udpAndIcmpOnly: true) : PacketCaptureSocket.Open(interfaceName, udpAndIcmpOnly: true);
}
