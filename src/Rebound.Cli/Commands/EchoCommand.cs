using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Rebound.Cli.Infrastructure;

namespace Rebound.Cli.Commands;

/// <summary><c>rebound echo</c>: a UDP echo responder, correct by default and naive on request, to show the difference.</summary>
internal static class EchoCommand
{
    public const string DefaultListen = "[::]:56789";

    public static Command Create()
    {
        var listen = new Option<string>("--listen", "-l")
        {
            Description = "Address and port to bind: [::]:PORT is dual-stack, 0.0.0.0:PORT IPv4 only.",
            DefaultValueFactory = _ => DefaultListen,
        };
        var naive = new Option<bool>("--naive") { Description = "Reply with a plain sendto(), letting the kernel pick the source: reproduces the bug." };
        var ipv6Only = new Option<bool>("--ipv6-only") { Description = "On [::], serve IPv6 only (V6ONLY=1)." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print one line per datagram: remote, local address, interface, bytes." };
        var count = new Option<int>("--count", "-c") { Description = "Exit after answering this many datagrams (0: run until Ctrl-C)." };

        var command = new Command("echo", "Answer every UDP datagram with its own payload.")
        {
            listen, naive, ipv6Only, verbose, count,
        }.WithEpilogue(
            "Examples:\n  rebound echo -v                          # dual-stack on [::]:56789\n" +
            "  rebound echo --naive -l 0.0.0.0:56789    # the bug, on purpose\n\n" + ExitCodes.Help);
        command.SetAction(async (parse, cancellation) =>
        {
            if (!EndpointParser.TryParse(parse.GetValue(listen)!, IPAddress.IPv6Any, out IPEndPoint endPoint, out string error))
            {
                Console.Error.WriteLine($"rebound echo: --listen: {error}");
                return ExitCodes.Usage;
            }

            var settings = new EchoSettings(endPoint, !parse.GetValue(ipv6Only), parse.GetValue(verbose), parse.GetValue(count));
            try
            {
                return parse.GetValue(naive)
                    ? await NaiveEchoServer.RunAsync(settings, cancellation).ConfigureAwait(false)
                    : await ReboundEchoServer.RunAsync(settings, cancellation).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                return SocketErrors.Report(e, "listen on", endPoint);
            }
        });
        return command;
    }
}

/// <summary>What an echo server was asked to do.</summary>
internal sealed record EchoSettings(IPEndPoint Listen, bool DualStack, bool Verbose, int Count);
