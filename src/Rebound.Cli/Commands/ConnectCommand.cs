using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Rebound.Cli.Infrastructure;
using Rebound.Cli.Output;
using Rebound.Cli.Servers;

namespace Rebound.Cli.Commands;

/// <summary>
/// <c>rebound connect</c>: a netcat-style client. For UDP it uses a connected socket, like OpenBSD <c>nc -u</c>, so the
/// kernel drops replies from any other source address — exactly how clients in the field reject a wrong-source reply.
/// </summary>
internal static class ConnectCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("target") { HelpName = "ADDR:PORT", Description = "ADDR:PORT to talk to, e.g. 198.51.100.13:56789 or [2001:db8::1]:53; or ADDR with PORT after it, as nc." };
        var targetPort = new Argument<int?>("port") { HelpName = "PORT", Description = "The port, when the target is a bare address (nc ADDR PORT).", Arity = ArgumentArity.ZeroOrOne };
        var udp = SharedOptions.Udp();
        var tcp = SharedOptions.Tcp();
        var source = new Option<string?>("--source", "-s") { HelpName = "ADDR[:PORT]", Description = "Bind the client to this ADDR or ADDR:PORT first (e.g. 127.0.0.1 to provoke a wrong-source reply on loopback)." };
        var ipv4 = SharedOptions.IPv4("the target (and source) must be IPv4");
        var ipv6 = SharedOptions.IPv6("the target (and source) must be IPv6");
        var wait = SharedOptions.Timeout("After input ends, wait this long for replies (nc -w)", 2, "--wait");
        var json = new Option<bool>("--json") { Description = "Write every event (connected, sent, received, error, summary) as a JSON line on stdout instead of the replies (docs/output.md)." };
        var command = new Command("connect", "Send standard input to a peer and print what comes back (UDP by default).")
        {
            target, targetPort, udp, tcp, source, ipv4, ipv6, wait, json,
        }.WithEpilogue(
            "Examples:\n  echo hello | rebound connect 127.0.0.2:56789 -s 127.0.0.1\n" +
            "  echo hello | rebound connect -u -w 1 127.0.0.2 56789     # as nc -u -w 1\n" +
            "  rebound connect --tcp 198.51.100.13:80\n" +
            "  echo hello | rebound connect 127.0.0.2:56789 --json | jq -c 'select(.event == \"received\") | {replySource, text}'\n\n" + ExitCodes.Help);
        command.SetAction(async (parse, cancellation) =>
        {
            if (!SharedOptions.TryFamily(parse, ipv4, ipv6, out AddressFamily? family, out string error)
                || !TryParseTarget(parse.GetValue(target)!, parse.GetValue(targetPort), out IPEndPoint remote, out error)
                || !SharedOptions.FamilyMatches(remote.Address, family, "the target", out error))
            {
                Console.Error.WriteLine($"rebound connect: target: {error}");
                return ExitCodes.Usage;
            }

            IPEndPoint? local = null;
            string? sourceText = parse.GetValue(source);
            if (sourceText is not null)
            {
                if (!TryParseSource(sourceText, remote.AddressFamily, out local, out error))
                {
                    Console.Error.WriteLine($"rebound connect: --source: {error}");
                    return ExitCodes.Usage;
                }
            }

            TimeSpan linger = TimeSpan.FromSeconds(Math.Max(0, parse.GetValue(wait)));
            bool tcpMode = parse.GetValue(tcp);
            return await PeerRun.RunAsync(
                parse.GetValue(json), tcpMode, "talk to", remote, new PeerEnds(null, EndpointText.Format(remote)),
                (session, stop) => tcpMode
                    ? session.RunTcpClientAsync(remote, local, linger, stop)
                    : session.RunUdpClientAsync(remote, local, linger, stop),
                cancellation).ConfigureAwait(false);
        });
        return command;
    }

    private static bool TryParseTarget(string text, int? port, out IPEndPoint remote, out string error)
    {
        if (port is int p)
        {
            remote = new IPEndPoint(IPAddress.Loopback, 0);
            if (p is < 1 or > 65535)
            {
                error = $"{p} is not a port number (1-65535).";
                return false;
            }

            string bare = text.StartsWith('[') && text.EndsWith(']') ? text[1..^1] : text;
            if (!EndpointParser.TryParseAddress(bare, out IPAddress address))
            {
                error = $"'{text}' is not an IP address (with PORT given separately).";
                return false;
            }

            remote = new IPEndPoint(address, p);
            error = "";
            return true;
        }

        if (!EndpointParser.TryParse(text, IPAddress.Loopback, out remote, out error))
        {
            return false;
        }

        error = remote.Port == 0 ? "a port is required" : "";
        return remote.Port != 0;
    }

    private static bool TryParseSource(string text, AddressFamily family, out IPEndPoint local, out string error)
    {
        if (EndpointParser.TryParseAddress(text, out IPAddress address))
        {
            local = new IPEndPoint(address, 0);
            error = "";
        }
        else if (!EndpointParser.TryParse(text, family == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, out local, out error))
        {
            return false;
        }

        if (local.AddressFamily != family)
        {
            error = $"{local.Address} and the target are of different address families.";
            return false;
        }

        return true;
    }
}
