using System.CommandLine;
using Rebound.Cli.Analysis;
using Rebound.Cli.Infrastructure;

namespace Rebound.Cli.Commands;

/// <summary><c>rebound analyze FILE</c>: names the wrong-source failure in a tcpdump/Wireshark capture.</summary>
internal static class AnalyzeCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "A pcap or pcapng file (tcpdump -w, Wireshark, dumpcap); - reads standard input." };
        var json = new Option<bool>("--json") { Description = "Print one JSON document instead of tables." };
        Option<double> window = WindowOption();

        var command = new Command("analyze", "Find UDP replies that came back from another address or port than the request went to.")
        {
            file, json, window,
        }.WithEpilogue(
            "Findings: 'reply from unexpected source' (request C:c→S:s answered by X:s), 'reply from unexpected port' (answered by\n" +
            "S:s', SNAT), and 'rejected by the client' (an ICMP port unreachable quoting that reply). Frame numbers are Wireshark's.\n\n" +
            "Examples:\n  tcpdump -i docker0 -w dns.pcap udp or icmp or icmp6\n  rebound analyze dns.pcap\n" +
            "  rebound analyze --json dns.pcapng | jq '.findings[].description'\n" +
            "  tcpdump -i any -w - -c 1000 udp or icmp or icmp6 | rebound analyze -\n\n" +
            "Exit codes: 0 no findings, 1 findings, 2 unreadable or corrupt file (the message gives the byte offset) or usage error.");
        command.SetAction((parse, cancellation) =>
        {
            if (!TryGetWindow(parse, window, "analyze", out TimeSpan span))
            {
                return Task.FromResult(ExitCodes.Usage);
            }

            var settings = new AnalyzeSettings(parse.GetValue(file)!, span, parse.GetValue(json));
            return Task.FromResult(CaptureFileAnalysis.Run(settings, Console.Out, Console.Error, cancellation));
        });
        return command;
    }

    /// <summary>The <c>--window</c> option shared with <c>trace</c>.</summary>
    internal static Option<double> WindowOption() => new("--window")
    {
        HelpName = "SECONDS",
        Description = "Seconds after a request within which a datagram back to its client counts as the reply.",
        DefaultValueFactory = _ => 2.0,
    };

    internal static bool TryGetWindow(ParseResult parse, Option<double> option, string commandName, out TimeSpan window)
    {
        double seconds = parse.GetValue(option);
        window = TimeSpan.Zero;
        if (!(seconds > 0 && seconds <= 3600))
        {
            Console.Error.WriteLine($"rebound {commandName}: --window must be between 0 and 3600 seconds (got {seconds}).");
            return false;
        }

        window = TimeSpan.FromSeconds(seconds);
        return true;
    }
}
