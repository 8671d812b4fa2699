using System.Net;
using System.Net.Sockets;
using System.Text;
using Rebound.Cli.Infrastructure;
using Rebound.Cli.Output;
using Rebound.Interop;
using Rebound.Lab;

namespace Rebound.Cli.Servers;

/// <summary>
/// The netcat-style plumbing behind <c>listen</c> and <c>connect</c>: standard input to the network, the network to
/// standard output (or, with <c>--json</c>, every event as a JSON line: <see cref="PeerOutput"/>). For UDP every input
/// line is one datagram, as when typing into <c>nc -u</c>.
/// </summary>
internal sealed partial class StreamSession(Stream input, PeerOutput output)
{
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
        var ends = new PeerEnds(EndpointText.Format((IPEndPoint)socket.LocalEndPoint!), EndpointText.Format(remote));
        output.Ready("connected", ends.Client!, ends.Server);
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

                    // A connected socket receives only from the address it connected to: that is the reply's source.
                    Received(buffer.AsSpan(0, n), ends with { ReplySource = ends.Server });
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
                // Reported before it leaves, so a quick reply can never be written before the request.
                output.Sent(line, ends);
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
            return Problem($"{EndpointText.Format(remote)} refused the datagram (ICMP port unreachable).", ends);
        }

        if (sent > 0 && Volatile.Read(ref replies) == 0)
        {
            return Problem(
                $"no reply from {EndpointText.Format(remote)} within {linger.TotalSeconds:0.#} s after {sent} datagram(s). " +
                "If the server is bound to a wildcard address, its reply may have left from another address and been dropped.", ends);
        }

        return ExitCodes.Success;
    }

    /// <summary>UDP server on a <see cref="ReboundSocket"/>: input lines go to the latest peer, from the address it asked.</summary>
    public async Task<int> RunUdpServerAsync(IPEndPoint local, CancellationToken cancellation)
    {
        await using ReboundSocket socket = ReboundSocket.Bind(local);
        Console.Error.WriteLine($"rebound listen: UDP on {EndpointText.Format(socket.LocalEndPoint)}");
        output.Ready("listening", EndpointText.Format(socket.LocalEndPoint), null);
        ReceivedDatagram? latest = null;
        var firstPeer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task receiving = Task.Run(async () =>
        {
            byte[] buffer = new byte[65536];
            while (!cancellation.IsCancellationRequested)
            {
                ReceivedDatagram request = await socket.ReceiveAsync(buffer, cancellation).ConfigureAwait(false);
                Received(buffer.AsSpan(0, request.Length), new PeerEnds(
                    EndpointText.Format(request.RemoteEndPoint), EndpointText.Format(request.LocalEndPoint), null, InterfaceNames.NameOf(request.InterfaceIndex)));
                if (request.CanReply)
                {
                    latest = request;
                    firstPeer.TrySetResult();
                }
            }
        }, cancellation);

        return await ServeInputAsync(firstPeer.Task, receiving, async line =>
        {
            ReceivedDatagram peer = latest!.Value;
            output.Sent(line, new PeerEnds(
                EndpointText.Format(peer.RemoteEndPoint), EndpointText.Format(peer.LocalEndPoint),
                peer.ReplySource.IsUnspecified ? null : EndpointText.Format(peer.ReplySource)));
            await socket.ReplyAsync(peer, line, cancellation).ConfigureAwait(false);
        }, cancellation).ConfigureAwait(false);
    }

    /// <summary>The same with a plain socket and sendto: replies may leave from the wrong address.</summary>
    public async Task<int> RunNaiveUdpServerAsync(IPEndPoint local, CancellationToken cancellation)
    {
        using Socket socket = NaiveUdpSocket.Bind(local);
        var bound = (IPEndPoint)socket.LocalEndPoint!;
        Console.Error.WriteLine($"rebound listen --naive: UDP on {EndpointText.Format(bound)} (replies use plain sendto)");
        output.Ready("listening", EndpointText.Format(bound), null);

        // A plain socket cannot tell which address a datagram was sent to, unless it is bound to one address.
        string? server = bound.Address.Equals(IPAddress.Any) || bound.Address.Equals(IPAddress.IPv6Any) ? null : EndpointText.Format(bound);
        EndPoint? latest = null;
        var firstPeer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task receiving = Task.Run(async () =>
        {
            byte[] buffer = new byte[65536];
            EndPoint any = new IPEndPoint(local.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
            while (!cancellation.IsCancellationRequested)
            {
                SocketReceiveFromResult result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, cancellation).ConfigureAwait(false);
                Received(buffer.AsSpan(0, result.ReceivedBytes), new PeerEnds(EndpointText.Format((IPEndPoint)result.RemoteEndPoint), server));
                latest = result.RemoteEndPoint;
                firstPeer.TrySetResult();
            }
        }, cancellation);

        return await ServeInputAsync(firstPeer.Task, receiving, async line =>
        {
            EndPoint peer = latest!;

            // On a wildcard, sendto lets the kernel pick the source address: unknown here (the bug). Bound to one address, it is that one.
            output.Sent(line, new PeerEnds(EndpointText.Format((IPEndPoint)peer), server, server));
            await socket.SendToAsync(line, SocketFlags.None, peer, cancellation).ConfigureAwait(false);
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
        // Not disposed: a read of standard input that cancellation abandoned may still be pending (leaveOpen: nothing to free).
        var reader = new StreamReader(input, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        while (true)
        {
            string? line;
            try
            {
                // WaitAsync: a read of a terminal or pipe does not wake up on cancellation by itself.
                line = await reader.ReadLineAsync(cancellation).AsTask().WaitAsync(cancellation).ConfigureAwait(false);
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

    private void Received(ReadOnlySpan<byte> data, PeerEnds ends)
    {
        output.Received(data, ends);
        Touch();
    }

    /// <summary>A finding that ends <c>connect</c>: said on stderr, and as an <c>error</c> event with <c>--json</c>.</summary>
    private int Problem(string message, PeerEnds ends)
    {
        Console.Error.WriteLine($"rebound connect: {message}");
        output.Error(message, ends);
        return ExitCodes.Finding;
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
