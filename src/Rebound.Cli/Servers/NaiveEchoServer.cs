using System.Net;
using System.Net.Sockets;
using Rebound.Cli.Infrastructure;
using Rebound.Cli.Output;
using Rebound.Lab;

namespace Rebound.Cli.Servers;

/// <summary>
/// The echo loop most UDP servers have: recvfrom, then sendto the sender, letting the kernel choose the source address
/// from the route. Kept on purpose, to reproduce the failure Rebound fixes (but not the other one: a refused send costs
/// one reply, not the server).
/// </summary>
internal static class NaiveEchoServer
{
    public static async Task<int> RunAsync(EchoSettings settings, CancellationToken cancellation)
    {
        using Socket socket = NaiveUdpSocket.Bind(settings.Listen, settings.DualStack);
        Console.Error.WriteLine($"rebound echo --naive: listening on {EndpointText.Format((System.Net.IPEndPoint)socket.LocalEndPoint!)}; replies use plain sendto (the kernel picks the source).");

        var errors = new ThrottledErrors("rebound echo", Console.Error);
        byte[] buffer = new byte[65536];
        EndPoint any = new IPEndPoint(settings.Listen.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        int answered = 0;
        long received = 0;
        long sent = 0;
        while (!cancellation.IsCancellationRequested)
        {
            SocketReceiveFromResult request;
            try
            {
                request = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            received++;
            try
            {
                await socket.SendToAsync(buffer.AsMemory(0, request.ReceivedBytes), SocketFlags.None, request.RemoteEndPoint, cancellation).ConfigureAwait(false);
                sent++;
            }
            catch (SocketException e)
            {
                errors.Report($"the reply to {EndpointText.Format((IPEndPoint)request.RemoteEndPoint)} failed: {e.Message}");
                continue;
            }
            catch (OperationCanceledException)
            {
                break;
            }

            if (settings.Verbose)
            {
                EchoLog.AnsweredNaively(settings.Json, (IPEndPoint)request.RemoteEndPoint, request.ReceivedBytes);
            }

            if (settings.Count > 0 && ++answered >= settings.Count)
            {
                break;
            }
        }

        errors.Flush();
        EchoSettings.PrintTotals(received, sent, errors.Total);
        return ExitCodes.Success;
    }
}
