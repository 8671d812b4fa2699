using System.Net.Sockets;
using Rebound.Cli.Infrastructure;
using Rebound.Cli.Output;
using Rebound.Interop;

namespace Rebound.Cli.Servers;

/// <summary>The echo loop on a <see cref="ReboundSocket"/>: every reply leaves from the address its request was sent to.</summary>
internal static class ReboundEchoServer
{
    public static async Task<int> RunAsync(EchoSettings settings, CancellationToken cancellation)
    {
        await using ReboundSocket socket = ReboundSocket.Bind(settings.Listen, settings.SocketOptions);
        foreach (MulticastGroup group in settings.Groups)
        {
            socket.JoinMulticastGroup(group);
        }

        string mode = socket.IsDualStack ? "dual-stack" : socket.LocalEndPoint.AddressFamily == AddressFamily.InterNetwork ? "IPv4" : "IPv6 only";
        Console.Error.WriteLine($"rebound echo: listening on {EndpointText.Format(socket.LocalEndPoint)} ({mode}, {EchoSettings.Describe(socket.Strategy)}); replies leave from each request's destination address.");

        var errors = new ThrottledErrors("rebound echo", Console.Error);
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
                errors.Report($"not answering {EndpointText.Format(request.RemoteEndPoint)}: {request.Unanswerable.Describe()}.");
                continue;
            }

            try
            {
                await socket.ReplyAsync(request, buffer.AsMemory(0, request.Length), cancellation).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                // One reply refused (no route, a firewall, a vanished address): count it and go on serving.
                errors.Report($"the reply to {EndpointText.Format(request.RemoteEndPoint)} failed: {e.Message}");
                continue;
            }
            catch (OperationCanceledException)
            {
                break;
            }

            if (settings.Verbose)
            {
                EchoLog.Answered(settings.Json, request.RemoteEndPoint, request.LocalEndPoint, request.InterfaceIndex, request.Length,
                    request.ReplySource.WithPort(request.LocalEndPoint.Port));
            }

            if (settings.Count > 0 && ++answered >= settings.Count)
            {
                break;
            }
        }

        errors.Flush();
        ReboundStatistics stats = socket.Statistics;
        EchoSettings.PrintTotals(stats.Received, stats.Sent, errors.Total);
        return ExitCodes.Success;
    }
}
