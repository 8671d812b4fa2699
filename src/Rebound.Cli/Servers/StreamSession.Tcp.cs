using System.Net;
using System.Net.Sockets;
using Rebound.Cli.Infrastructure;
using Rebound.Cli.Output;

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
        var ends = new PeerEnds(EndpointText.Format((IPEndPoint)socket.LocalEndPoint!), EndpointText.Format((IPEndPoint)socket.RemoteEndPoint!));
        output.Ready("connected", ends.Client!, ends.Server);

        // TCP data always comes from the connected address: received data carries it as the reply source.
        return await PipeAsync(socket, ends with { ReplySource = ends.Server }, ends, linger, cancellation).ConfigureAwait(false);
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
        output.Ready("listening", EndpointText.Format((IPEndPoint)listener.LocalEndPoint!), null);
        using Socket connection = await listener.AcceptAsync(cancellation).ConfigureAwait(false);
        var ends = new PeerEnds(EndpointText.Format((IPEndPoint)connection.RemoteEndPoint!), EndpointText.Format((IPEndPoint)connection.LocalEndPoint!));

        // What this side sends leaves from the connection's own address, the one the client asked.
        return await PipeAsync(connection, ends, ends with { ReplySource = ends.Server }, Timeout.InfiniteTimeSpan, cancellation).ConfigureAwait(false);
    }

    private async Task<int> PipeAsync(Socket socket, PeerEnds received, PeerEnds sent, TimeSpan linger, CancellationToken cancellation)
    {
        using var stream = new NetworkStream(socket, ownsSocket: false);
        Task receiving = Task.Run(async () =>
        {
            byte[] buffer = new byte[65536];
            int n;
            while ((n = await stream.ReadAsync(buffer, cancellation).ConfigureAwait(false)) > 0)
            {
                Received(buffer.AsSpan(0, n), received);
            }
        }, cancellation);

        await foreach (byte[] line in ReadLinesAsync(cancellation).ConfigureAwait(false))
        {
            output.Sent(line, sent);
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
