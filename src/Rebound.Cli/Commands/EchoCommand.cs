using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Rebound.Cli.Infrastructure;
using Rebound.Cli.Servers;

namespace Rebound.Cli.Commands;

/// <summary>
/// <c>rebound echo</c>: a UDP echo responder, correct by default and naive on request, to show the difference. The
/// default is the library's cheapest correct path (the batched multi-core <see cref="ReboundServer"/>).
/// </summary>
internal static class EchoCommand
{
    public const string DefaultListen = "[::]:56789";
    public const int DefaultBatch = 32;

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
        var sockets = new Option<int>("--sockets") { Description = "SO_REUSEPORT sockets, one thread each (default: one per CPU)." };
        var batch = new Option<int>("--batch") { Description = $"Datagrams per recvmmsg/sendmmsg (default {DefaultBatch})." };
        var useAsync = new Option<bool>("--async") { Description = "Serve with the single-socket async loop (ReceiveAsync/ReplyAsync) instead of the batched multi-core server." };
        var perAddress = new Option<bool>("--per-address")
        {
            Description = "Serve with one socket per local address instead of IP_PKTINFO (the portable strategy other OSes use).",
        };

        var command = new Command("echo", "Answer every UDP datagram with its own payload.")
        {
            listen, naive, ipv6Only, verbose, count, sockets, batch, useAsync, perAddress,
        }.WithEpilogue(
            "By default the batched multi-core server (ReboundServer: recvmmsg/sendmmsg, one socket per CPU) answers: the\n" +
            "library's cheapest correct path. --async runs the README's ReceiveAsync/ReplyAsync loop on one socket.\n\n" +
            "Examples:\n  rebound echo -v                          # dual-stack on [::]:56789\n" +
            "  rebound echo --naive -l 0.0.0.0:56789    # the bug, on purpose\n" +
            "  rebound echo --sockets 1 --batch 32      # one core, batches of 32\n" +
            "  rebound echo --async                     # the async single-socket loop\n" +
            "  rebound echo --per-address               # one socket per local address (portable strategy)\n\n" + ExitCodes.Help);
        command.SetAction(async (parse, cancellation) =>
        {
            if (!EndpointParser.TryParse(parse.GetValue(listen)!, IPAddress.IPv6Any, out IPEndPoint endPoint, out string error))
            {
                Console.Error.WriteLine($"rebound echo: --listen: {error}");
                return ExitCodes.Usage;
            }

            int socketCount = parse.GetValue(sockets);
            int batchSize = parse.GetValue(batch);
            if (socketCount is < 0 or > 1024 || batchSize is < 0 or > DatagramBatch.MaxCapacity)
            {
                Console.Error.WriteLine($"rebound echo: --sockets takes 0 to 1024 and --batch 0 to {DatagramBatch.MaxCapacity}.");
                return ExitCodes.Usage;
            }

            bool isNaive = parse.GetValue(naive);
            bool isAsync = parse.GetValue(useAsync);
            if ((isNaive || isAsync) && (socketCount > 0 || batchSize > 0))
            {
                Console.Error.WriteLine($"rebound echo: {(isNaive ? "--naive" : "--async")} serves one socket without batches; drop --sockets/--batch.");
                return ExitCodes.Usage;
            }

            if (isNaive && (isAsync || parse.GetValue(perAddress)))
            {
                Console.Error.WriteLine($"rebound echo: --naive is the plain socket; drop {(isAsync ? "--async" : "--per-address")}.");
                return ExitCodes.Usage;
            }

            var settings = new EchoSettings(endPoint, !parse.GetValue(ipv6Only), parse.GetValue(verbose), parse.GetValue(count),
                parse.GetValue(perAddress) ? SourceAddressStrategy.PerAddress : SourceAddressStrategy.Automatic);
            try
            {
                if (isNaive)
                {
                    return await NaiveEchoServer.RunAsync(settings, cancellation).ConfigureAwait(false);
                }

                return isAsync
                    ? await ReboundEchoServer.RunAsync(settings, cancellation).ConfigureAwait(false)
                    : await MultiCoreEchoServer.RunAsync(settings, socketCount, batchSize > 0 ? batchSize : DefaultBatch, cancellation).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                return SocketErrors.Report(e, "listen on", endPoint);
            }
        });
        return command;
    }
}
