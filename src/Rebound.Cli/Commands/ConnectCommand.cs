using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Rebound.Cli.Infrastructure;
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
        var target = new Argument<string>("target") { Description = "ADDR:PORT to talk to, e.g. 198.51.100.13:56789 or [2001:db8::1]:53." };
        var tcp = new Option<bool>("--tcp", "-t") { Description = "Use TCP instead of UDP." };
        var source = new Option<string?>("--source", "-s") { Description = "Bind the client to this ADDR or ADDR:PORT first (e.g. 127.0.0.1 to provoke a wrong-source reply on loopback)." };
        var wait = new Option<double>("--wait", "-w")
        {
            Description = "After input ends, wait this many seconds for replies.",
            DefaultValueFactory = _ => 2,
        };
        var command = new Command("connect", "Send standard input to a peer and print what comes back (UDP by default).")
        {
            target, tcp, source, wait,
        }.WithEpilogue("Examples:\n  echo hello | rebound connect 127.0.0.2:56789 --source 127.0.0.1\n  rebound connect --tcp 198.51.100.13:80\n\n" + ExitCodes.Help);
        command.SetAction(async (parse, cancellation) =>
        {
            if (!EndpointParser.TryParse(parse.GetValue(target)!, IPAddress.Loopback, out IPEndPoint remote, out string error) || remote.Port == 0)
            {
                Console.Error.WriteLine($"rebound connect: target: {(error.Length > 0 ? error : "a port is required")}");
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
            var session = new StreamSession(Console.OpenStandardInput(), Console.OpenStandardOutput());
            try
            {
                return parse.GetValue(tcp)
                    ? await session.RunTcpClientAsync(remote, local, linger, cancellation).ConfigureAwait(false)
                    : await session.RunUdpClientAsync(remote, local, linger, cancellation).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                return SocketErrors.Report(e, "talk to", remote);
            }
        });
        return command;
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
