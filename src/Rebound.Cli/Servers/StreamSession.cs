using System.Net;
using System.Net.Sockets;
using System.Text;
using Rebound.Cli.Infrastructure;
using Rebound.Lab;

namespace Rebound.Cli.Servers;

/// <summary>
/// The netcat-style plumbing behind <c>listen</c> and <c>connect</c>: standard input to the network, the network to
/// standard output. For UDP every input line is one datagram, as when typing into <c>nc -u</c>.
/// </summary>
internal sealed partial class StreamSession(Stream input, Stream output)
{
    private readonly Lock _outputGate = new();
    private long _lastActivity = Environment.TickCount64;

    /// <summary>UDP client on a connected socket: replies from any other source are dropped by the kernel.</summary>
    public async Task<int> RunUdpClientAsync(IPEndPoint remote, IPEndPoint? local, TimeSpan linger, CancellationToken cancellation)
    {
        using var socket = new Socket(remote.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (local is not null)
        {
            socket.Bind(local);
        }

        socket.Connect(remote);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        int replies = 0;
        bool refused = false;
        Task receiving = Task.Run(async () =>
        {
            byte[] buffer = new byte[65536];
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    int n = await socket.ReceiveAsync(buffer, SocketFlags.None, stop.Token).ConfigureAwait(false);
                    Write(buffer.AsSpan(0, n));
                    Interlocked.Increment(ref replies);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
                {
                    refused = true;
                    return;
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }, CancellationToken.None);

        int sent = 0;
        await foreach (byte[] line in ReadLinesAsync(cancellation).ConfigureAwait(false))
        {
            try
            {
                await socket.SendAsync(line, SocketFlags.None, cancellation).ConfigureAwait(false);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                refused = true;
                break;
            }

            sent++;
            Touch();
        }

        await WaitForQuietAsync(linger, () => refused, cancellation).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        await receiving.ConfigureAwait(false);

        if (refused)
        {
            Console.Error.WriteLine($"rebound connect: {EndpointText.Format(remote)} refused the datagram (ICMP port unreachable).");
            return ExitCodes.Finding;
        }

        if (sent > 0 && Volatile.Read(ref replies) == 0)
        {
            Console.Error.WriteLine(
                $"rebound connect: no reply from {EndpointText.Format(remote)} within {linger.TotalSeconds:0.#} s after {sent} datagram(s). " +
                "If the server is bound to a wildcard address, its reply may have left from another address and been dropped.");
            return ExitCodes.Finding;
        }

        return ExitCodes.Success;
    }

    /// <summary>UDP server on a <see cref="ReboundSocket"/>: input lines go to the latest peer, from the address it asked.</summary>
    public async Task<int> RunUdpServerAsync(IPEndPoint local, CancellationToken cancellation)
    {
        await using ReboundSocket socket = ReboundSocket.Bind(local);
        Console.Error.WriteLine($"rebound listen: UDP on {EndpointText.Format(socket.LocalEndPoint)}");
        ReceivedDatagram? latest = null;
        var firstPeer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task receiving = Task.Run(async () =>
        {
            byte[] buffer = new byte[65536];
            while (!cancellation.IsCancellationRequested)
            {
                ReceivedDatagram request = await socket.ReceiveAsync(buffer, cancellation).ConfigureAwait(false);
                Write(buffer.AsSpan(0, request.Length));
                if (request.CanReply)
                {
                    latest = request;
                    firstPeer.TrySetResult();
                }
            }
        }, cancellation);

        return await ServeInputAsync(firstPeer.Task, receiving, async line =>
        {
            await socket.ReplyAsync(latest!.Value, line, cancellation).ConfigureAwait(false);
        }, cancellation).ConfigureAwait(false);
    }

    /// <summary>The same with a plain socket and sendto: replies may leave from the wrong address.</summary>
    public async Task<int> RunNaiveUdpServerAsync(IPEndPoint local, CancellationToken cancellation)
    {
        using Socket socket = NaiveUdpSocket.Bind(local);
        Console.Error.WriteLine($"rebound listen --naive: UDP on {EndpointText.Format((IPEndPoint)socket.LocalEndPoint!)} (replies use plain sendto)");
        EndPoint? latest = null;
        var firstPeer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task receiving = Task.Run(async () =>
        {
            byte[] buffer = new byte[65536];
            EndPoint any = new IPEndPoint(local.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
            while (!cancellation.IsCancellationRequested)
            {
                SocketReceiveFromResult result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, cancellation).ConfigureAwait(false);
                Write(buffer.AsSpan(0, result.ReceivedBytes));
                latest = result.RemoteEndPoint;
                firstPeer.TrySetResult();
            }
        }, cancellation);

        return await ServeInputAsync(firstPeer.Task, receiving, async line =>
        {
            await socket.SendToAsync(line, SocketFlags.None, latest!, cancellation).ConfigureAwait(false);
        }, cancellation).ConfigureAwait(false);
    }

    private async Task<int> ServeInputAsync(Task firstPeer, Task receiving, Func<byte[], Task> send, CancellationToken cancellation)
    {
        try
        {
            await foreach (byte[] line in ReadLinesAsync(cancellation).ConfigureAwait(false))
            {
                // Like nc -l, input waits until a peer has spoken: there is nobody to send it to before that.
                await Task.WhenAny(firstPeer, receiving).Unwrap().ConfigureAwait(false);
                await send(line).ConfigureAwait(false);
            }

            await receiving.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        return ExitCodes.Success;
    }

    private async IAsyncEnumerable<byte[]> ReadLinesAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation)
    {
        using var reader = new StreamReader(input, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }

            if (line is null)
            {
                yield break;
            }

            yield return Encoding.UTF8.GetBytes(line + "\n");
        }
    }

    private void Write(ReadOnlySpan<byte> data)
    {
        lock (_outputGate)
        {
            output.Write(data);
            output.Flush();
        }

        Touch();
    }

    private void Touch() => Interlocked.Exchange(ref _lastActivity, Environment.TickCount64);

    private async Task WaitForQuietAsync(TimeSpan quiet, Func<bool> stopEarly, CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested && !stopEarly() &&
               Environment.TickCount64 - Interlocked.Read(ref _lastActivity) < quiet.TotalMilliseconds)
        {
            try
            {
                await Task.Delay(20, cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
