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
            HelpName = "ADDR:PORT",
            Description = "Address and port to bind: [::]:PORT is dual-stack, 0.0.0.0:PORT IPv4 only.",
            DefaultValueFactory = _ => DefaultListen,
        };
        var naive = new Option<bool>("--naive") { Description = "Reply with a plain sendto(), letting the kernel pick the source: reproduces the bug." };
        var udp = SharedOptions.Udp();
        var ipv4 = SharedOptions.IPv4("the default listen address is 0.0.0.0:56789");
        var ipv6Only = SharedOptions.IPv6("on [::], serve IPv6 only (V6ONLY=1)", "--ipv6-only");
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print one line per datagram: client, server (the address asked), interface, bytes, reply source." };
        var json = new Option<bool>("--json") { Description = "With -v, print each datagram as a JSON line (docs/output.md)." };
        var count = new Option<int>("--count", "-c") { Description = "Exit after answering this many datagrams (0: run until Ctrl-C)." }.NotNegative();
        var sockets = new Option<int>("--sockets") { Description = "SO_REUSEPORT sockets, one thread each (default: one per CPU)." };
        var batch = new Option<int>("--batch") { Description = $"Datagrams per recvmmsg/sendmmsg (default {DefaultBatch})." };
        var useAsync = new Option<bool>("--async") { Description = "Serve with the single-socket async loop (ReceiveAsync/ReplyAsync) instead of the batched multi-core server." };
        var join = new Option<string[]>("--join")
        {
            HelpName = "GROUP[%IF]",
            Description = "Join a multicast group, GROUP or GROUP%INTERFACE (233.252.0.1%eth0, ff12::db8:1%eth0); repeatable. Each request to it is answered once.",
        };
        var perAddress = new Option<bool>("--per-address")
        {
            Description = "Serve with one socket per local address instead of IP_PKTINFO (the portable strategy other OSes use).",
        };

        var command = new Command("echo", "Answer every UDP datagram with its own payload.")
        {
            listen, udp, ipv4, ipv6Only, naive, verbose, json, count, sockets, batch, useAsync, join, perAddress,
        }.WithEpilogue(
            "By default the batched multi-core server (ReboundServer: recvmmsg/sendmmsg, one socket per CPU) answers: the\n" +
            "library's cheapest correct path. --async runs the README's ReceiveAsync/ReplyAsync loop on one socket.\n\n" +
            "Examples:\n  rebound echo -v                          # dual-stack on [::]:56789\n" +
            "  rebound echo --naive -l 0.0.0.0:56789    # the bug, on purpose\n" +
            "  rebound echo --sockets 1 --batch 32      # one core, batches of 32\n" +
            "  rebound echo --async                     # the async single-socket loop\n" +
            "  rebound echo -v --json | jq .client      # one JSON line per datagram\n" +
            "  rebound echo --per-address               # one socket per local address (portable strategy)\n\n" + ExitCodes.Help);
        command.SetAction(async (parse, cancellation) =>
        {
            if (!SharedOptions.TryFamily(parse, ipv4, ipv6Only, out AddressFamily? family, out string error))
            {
                Console.Error.WriteLine($"rebound echo: {error}");
                return ExitCodes.Usage;
            }

            string listenText = parse.GetResult(listen) is null && family == AddressFamily.InterNetwork ? "0.0.0.0:56789" : parse.GetValue(listen)!;
            if (!EndpointParser.TryParse(listenText, IPAddress.IPv6Any, out IPEndPoint endPoint, out error)
                || !SharedOptions.FamilyMatches(endPoint.Address, family, "--listen", out error))
            {
                Console.Error.WriteLine($"rebound echo: --listen: {error}");
                return ExitCodes.Usage;
            }

            if (parse.GetValue(json) && !parse.GetValue(verbose))
            {
                Console.Error.WriteLine("rebound echo: --json prints the -v lines as JSON; add -v.");
                return ExitCodes.Usage;
            }

            var groups = new List<MulticastGroup>();
            foreach (string text in parse.GetValue(join) ?? [])
            {
                try
                {
                    groups.Add(MulticastGroup.Parse(text));
                }
                catch (FormatException e)
                {
                    Console.Error.WriteLine($"rebound echo: --join {text}: {e.Message}");
                    return ExitCodes.Usage;
                }
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

            if (isNaive && groups.Count > 0)
            {
                Console.Error.WriteLine("rebound echo: --naive does not join groups; drop --join.");
                return ExitCodes.Usage;
            }

            if (parse.GetValue(perAddress) && groups.Count > 0)
            {
                Console.Error.WriteLine("rebound echo: --per-address binds unicast addresses only and receives no multicast; drop --join.");
                return ExitCodes.Usage;
            }

            var settings = new EchoSettings(endPoint, !parse.GetValue(ipv6Only), parse.GetValue(verbose), parse.GetValue(count), parse.GetValue(json),
                parse.GetValue(perAddress) ? SourceAddressStrategy.PerAddress : SourceAddressStrategy.Automatic) { Groups = groups };

            // Ctrl-C and SIGTERM stop serving: the server prints its totals line and exits 0.
            using var signals = new SignalStop(cancellation);
            cancellation = signals.Token;
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
