using System.Net;
using System.Net.Sockets;
using Rebound.Lab;

namespace Rebound.Cli.Servers;

/// <summary>
/// The echo loop most UDP servers have: recvfrom, then sendto the sender, letting the kernel choose the source address
/// from the route. Kept on purpose, to reproduce the failure Rebound fixes.
/// </summary>
internal static class NaiveEchoServer
{
    public static async Task<int> RunAsync(EchoSettings settings, CancellationToken cancellation)
    {
        using Socket socket = NaiveUdpSocket.Bind(settings.Listen, settings.DualStack);
        Console.Error.WriteLine($"rebound echo --naive: listening on {socket.LocalEndPoint}; replies use plain sendto (the kernel picks the source).");

        byte[] buffer = new byte[65536];
        EndPoint any = new IPEndPoint(settings.Listen.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        int answered = 0;
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

            await socket.SendToAsync(buffer.AsMemory(0, request.ReceivedBytes), SocketFlags.None, request.RemoteEndPoint, cancellation).ConfigureAwait(false);
            if (settings.Verbose)
            {
                Console.WriteLine($"{request.RemoteEndPoint} -> ? (unknown) {request.ReceivedBytes} bytes, replied with sendto (source chosen by the kernel)");
            }

            if (settings.Count > 0 && ++answered >= settings.Count)
            {
                break;
            }
        }

        return 0;
    }
}
