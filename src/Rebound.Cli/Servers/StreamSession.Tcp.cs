using System.Net;
using System.Net.Sockets;
using Rebound.Cli.Infrastructure;

namespace Rebound.Cli.Servers;

internal sealed partial class StreamSession
{
    /// <summary>TCP client: TCP replies always come from the connected address, which is why TCP never shows the bug.</summary>
    public async Task<int> RunTcpClientAsync(IPEndPoint remote, IPEndPoint? local, TimeSpan linger, CancellationToken cancellation)
    {
        using var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (local is not null)
        {
            socket.Bind(local);
        }

        await socket.ConnectAsync(remote, cancellation).ConfigureAwait(false);
        return await PipeAsync(socket, linger, cancellation).ConfigureAwait(false);
    }

    /// <summary>TCP server: accepts one connection and pipes it.</summary>
    public async Task<int> RunTcpServerAsync(IPEndPoint local, CancellationToken cancellation)
    {
        using var listener = new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (local.AddressFamily == AddressFamily.InterNetworkV6)
        {
            listener.DualMode = true;
        }

        listener.Bind(local);
        listener.Listen(1);
        Console.Error.WriteLine($"rebound listen: TCP on {EndpointText.Format((System.Net.IPEndPoint)listener.LocalEndPoint!)}");
        using Socket connection = await listener.AcceptAsync(cancellation).ConfigureAwait(false);
        return await PipeAsync(connection, Timeout.InfiniteTimeSpan, cancellation).ConfigureAwait(false);
    }

    private async Task<int> PipeAsync(Socket socket, TimeSpan linger, CancellationToken cancellation)
    {
        using var stream = new NetworkStream(socket, ownsSocket: false);
        Task receiving = Task.Run(async () =>
        {
            byte[] buffer = new byte[65536];
            int n;
            while ((n = await stream.ReadAsync(buffer, cancellation).ConfigureAwait(false)) > 0)
            {
                Write(buffer.AsSpan(0, n));
            }
        }, cancellation);

        await foreach (byte[] line in ReadLinesAsync(cancellation).ConfigureAwait(false))
        {
            await stream.WriteAsync(line, cancellation).ConfigureAwait(false);
        }

        socket.Shutdown(SocketShutdown.Send);
        try
        {
            await receiving.WaitAsync(linger, cancellation).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        catch (OperationCanceledException)
        {
        }

        return ExitCodes.Success;
    }
}
