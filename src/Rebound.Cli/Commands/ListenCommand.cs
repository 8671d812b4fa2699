using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Rebound.Cli.Infrastructure;
using Rebound.Cli.Output;
using Rebound.Cli.Servers;

namespace Rebound.Cli.Commands;

/// <summary>
/// <c>rebound listen</c>: a netcat-style server. Datagrams (or the TCP stream) go to standard output; standard input goes
/// back to the most recent peer — for UDP from the address that peer sent to, unless <c>--naive</c>.
/// </summary>
internal static class ListenCommand
{
    public static Command Create()
    {
        var endpoint = new Argument<string?>("listen") { HelpName = "PORT|ADDR:PORT", Description = "PORT, or ADDR:PORT ([::]:PORT dual-stack by default).", Arity = ArgumentArity.ZeroOrOne };
        var listen = new Option<string?>("--listen", "-l") { HelpName = "PORT|ADDR:PORT", Description = "The same as the argument; -l alone is accepted, as in nc -l.", Arity = ArgumentArity.ZeroOrOne };
        var port = new Option<int?>("--port", "-p") { Description = "The port to listen on (nc -l -p PORT)." };
        var source = new Option<string?>("--source", "-s") { HelpName = "ADDR", Description = "The local address to listen on (nc -s), e.g. 127.0.0.2." };
        var udp = SharedOptions.Udp();
        var tcp = SharedOptions.Tcp(" (accepts one connection)");
        var ipv4 = SharedOptions.IPv4("the wildcard is 0.0.0.0, and a given address must be IPv4");
        var ipv6 = SharedOptions.IPv6("the wildcard is [::], and a given address must be IPv6");
        var naive = new Option<bool>("--naive") { Description = "UDP: answer with plain sendto, letting the kernel pick the source (the bug)." };
        var json = new Option<bool>("--json") { Description = "Write every event (listening, received, sent, error, summary) as a JSON line on stdout instead of the payload (docs/output.md)." };
        var command = new Command("listen", "Print what peers send; send standard input back to the latest peer.")
        {
            endpoint, listen, port, source, udp, tcp, ipv4, ipv6, naive, json,
        }.WithEpilogue(
            "Examples:\n  rebound listen 56789          # UDP, dual-stack\n  rebound listen -ul -p 56789    # the same, as nc -ul -p\n" +
            "  rebound listen -s 127.0.0.2 -p 56789\n  rebound listen --tcp 0.0.0.0:8080\n" +
            "  rebound listen 56789 --json | jq -r 'select(.event == \"received\") | .client + \" \" + .text'\n\n" + ExitCodes.Help);
        command.SetAction(async (parse, cancellation) =>
        {
            if (!TryLocal(parse, (endpoint, listen, port, source, ipv4, ipv6), out IPEndPoint local, out string error))
            {
                Console.Error.WriteLine($"rebound listen: {error}");
                return ExitCodes.Usage;
            }

            bool tcpMode = parse.GetValue(tcp);
            bool naiveMode = parse.GetValue(naive);
            return await PeerRun.RunAsync(
                parse.GetValue(json), tcpMode, "listen on", local, new PeerEnds(null, null),
                (session, stop) => tcpMode ? session.RunTcpServerAsync(local, stop)
                    : naiveMode ? session.RunNaiveUdpServerAsync(local, stop)
                    : session.RunUdpServerAsync(local, stop),
                cancellation).ConfigureAwait(false);
        });
        return command;
    }

    private static bool TryLocal(
        ParseResult parse,
        (Argument<string?> Endpoint, Option<string?> Listen, Option<int?> Port, Option<string?> Source, Option<bool> V4, Option<bool> V6) o,
        out IPEndPoint local,
        out string error)
    {
        local = new IPEndPoint(IPAddress.IPv6Any, 0);
        if (!SharedOptions.TryFamily(parse, o.V4, o.V6, out AddressFamily? family, out error))
        {
            return false;
        }

        IPAddress wildcard = family == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any;
        string? text = parse.GetValue(o.Endpoint) ?? parse.GetValue(o.Listen);
        int? port = parse.GetValue(o.Port);
        if (text is null && port is null)
        {
            error = "say where to listen: PORT, ADDR:PORT, or -p PORT.";
            return false;
        }

        if (text is not null && !EndpointParser.TryParse(text, wildcard, out local, out error))
        {
            return false;
        }

        if (port is int p)
        {
            if (p is < 0 or > 65535)
            {
                error = $"--port: {p} is not a port number (0-65535).";
                return false;
            }

            local.Port = p;
        }

        if (parse.GetValue(o.Source) is string sourceText)
        {
            if (!EndpointParser.TryParseAddress(sourceText, out IPAddress address))
            {
                error = $"--source: '{sourceText}' is not an IP address.";
                return false;
            }

            local.Address = address;
        }
        else if (text is null)
        {
            local.Address = wildcard;
        }

        return SharedOptions.FamilyMatches(local.Address, family, "the address", out error);
    }
}
