using System.Net.Sockets;
using Rebound.Cli.Infrastructure;
using Rebound.Interop;

namespace Rebound.Cli.Servers;

/// <summary>The echo loop on a <see cref="ReboundSocket"/>: every reply leaves from the address its request was sent to.</summary>
internal static class ReboundEchoServer
{
    public static async Task<int> RunAsync(EchoSettings settings, CancellationToken cancellation)
    {
        await using ReboundSocket socket = ReboundSocket.Bind(settings.Listen, settings.SocketOptions);
        string mode = socket.IsDualStack ? "dual-stack" : socket.LocalEndPoint.AddressFamily == AddressFamily.InterNetwork ? "IPv4" : "IPv6 only";
        Console.Error.WriteLine($"rebound echo: listening on {socket.LocalEndPoint} ({mode}, {EchoSettings.Describe(socket.Strategy)}); replies leave from each request's destination address.");

        byte[] buffer = new byte[65536];
        int answered = 0;
        while (!cancellation.IsCancellationRequested)
        {
            ReceivedDatagram request;
            try
            {
                request = await socket.ReceiveAsync(buffer, cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            if (!request.CanReply)
            {
                Console.Error.WriteLine($"rebound echo: not answering {request.RemoteEndPoint}: {request.Unanswerable.Describe()}.");
                continue;
            }

            try
            {
                await socket.ReplyAsync(request, buffer.AsMemory(0, request.Length), cancellation).ConfigureAwait(false);
            }
            catch (SourceAddressUnavailableException e)
            {
                Console.Error.WriteLine($"rebound echo: {e.Message}");
                continue;
            }

            if (settings.Verbose)
            {
                Console.WriteLine(
                    $"{request.RemoteEndPoint} -> {request.LocalEndPoint} via {InterfaceNames.Describe(request.InterfaceIndex)} " +
                    $"{request.Length} bytes, replied from {request.ReplySource.ToString("a", null)}");
            }

            if (settings.Count > 0 && ++answered >= settings.Count)
            {
                break;
            }
        }

        return ExitCodes.Success;
    }
}
