using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Rebound.Cli.Infrastructure;
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
        var endpoint = new Argument<string>("listen") { Description = "PORT, or ADDR:PORT ([::]:PORT dual-stack by default)." };
        var tcp = new Option<bool>("--tcp", "-t") { Description = "Use TCP instead of UDP (accepts one connection)." };
        var naive = new Option<bool>("--naive") { Description = "UDP: answer with plain sendto, letting the kernel pick the source (the bug)." };
        var command = new Command("listen", "Print what peers send; send standard input back to the latest peer.")
        {
            endpoint, tcp, naive,
        }.WithEpilogue("Examples:\n  rebound listen 56789          # UDP, dual-stack\n  rebound listen --tcp 0.0.0.0:8080\n\n" + ExitCodes.Help);
        command.SetAction(async (parse, cancellation) =>
        {
            if (!EndpointParser.TryParse(parse.GetValue(endpoint)!, IPAddress.IPv6Any, out IPEndPoint local, out string error))
            {
                Console.Error.WriteLine($"rebound listen: {error}");
                return ExitCodes.Usage;
            }

            var session = new StreamSession(Console.OpenStandardInput(), Console.OpenStandardOutput());
            try
            {
                if (parse.GetValue(tcp))
                {
                    return await session.RunTcpServerAsync(local, cancellation).ConfigureAwait(false);
                }

                return parse.GetValue(naive)
                    ? await session.RunNaiveUdpServerAsync(local, cancellation).ConfigureAwait(false)
                    : await session.RunUdpServerAsync(local, cancellation).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                return SocketErrors.Report(e, "listen on", local);
            }
        });
        return command;
    }
}
