using System.Net;
using System.Net.Sockets;
using Rebound.Cli.Servers;
using Rebound.Lab;

namespace Rebound.Cli.Bench;

/// <summary>
/// The .NET echo servers the benchmark compares, each the plainest loop its API allows: Rebound sync and async, and the
/// naive .NET socket calls (allocation-free <see cref="SocketAddress"/> overloads) as the baseline every .NET server
/// starts from. They run until cancelled, on one thread (async: the loop's continuations).
/// </summary>
internal static class BenchServers
{
    public const string ReboundSync = "rebound-sync";
    public const string ReboundAsync = "rebound-async";

    public const string PortableSync = "portable-sync";
    public const string PortableAsync = "portable-async";

    public const string NaiveSync = "naive-sync";
    public const string NaiveAsync = "naive-async";

    public static readonly string[] Names = [ReboundSync, ReboundAsync, PortableSync, PortableAsync, NaiveSync, NaiveAsync];

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    /// <remarks>
    /// The synchronous servers bind here, before their thread starts: when the returned task exists the port is served,
    /// so the ready line <c>bench serve</c> prints next is true (binding on the thread let the first request arrive first).
    /// </remarks>
    public static Task RunAsync(string implementation, IPEndPoint listen, CancellationToken cancellation) => implementation switch
    {
        ReboundSync => RunOnThread(ReboundBind(listen, SourceAddressStrategy.Automatic), socket => ReboundSyncLoop(socket, cancellation)),
        PortableSync => RunOnThread(ReboundBind(listen, SourceAddressStrategy.PerAddress), socket => ReboundSyncLoop(socket, cancellation)),
        PortableAsync => ReboundEchoServer.RunAsync(
            new EchoSettings(listen, DualStack: true, Verbose: false, Count: 0, Strategy: SourceAddressStrategy.PerAddress), cancellation),
        // The async Rebound server is `rebound echo` itself: ReceiveAsync, check CanReply, ReplyAsync.
        ReboundAsync => ReboundEchoServer.RunAsync(new EchoSettings(listen, DualStack: true, Verbose: false, Count: 0), cancellation),
        NaiveSync => RunOnThread(NaiveUdpSocket.Bind(listen), socket => NaiveSyncLoop(socket, listen.AddressFamily, cancellation)),
        NaiveAsync => NaiveAsyncLoop(listen, cancellation),
        _ => throw new ArgumentException($"unknown implementation '{implementation}'", nameof(implementation)),
    };

    private static ReboundSocket ReboundBind(IPEndPoint listen, SourceAddressStrategy strategy) =>
        ReboundSocket.Bind(listen, new ReboundSocketOptions { Strategy = strategy });

    private static void ReboundSyncLoop(ReboundSocket socket, CancellationToken cancellation)
    {
        socket.ReceiveTimeout = PollInterval;
        byte[] buffer = new byte[65536];
        while (!cancellation.IsCancellationRequested)
        {
            ReceivedDatagram request;
            try
            {
                request = socket.Receive(buffer);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
                continue;
            }

            if (request.CanReply)
            {
                try
                {
                    socket.Reply(request, buffer.AsSpan(0, request.Length));
                }
                catch (SocketException)
                {
                    // A refused reply costs that reply, not the server (as in every server here).
                }
            }
        }
    }

    private static void NaiveSyncLoop(Socket socket, AddressFamily family, CancellationToken cancellation)
    {
        socket.ReceiveTimeout = (int)PollInterval.TotalMilliseconds;
        byte[] buffer = new byte[65536];
        var peer = new SocketAddress(family);
        while (!cancellation.IsCancellationRequested)
        {
            int received;
            try
            {
                received = socket.ReceiveFrom(buffer, SocketFlags.None, peer);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
                continue;
            }

            try
            {
                socket.SendTo(buffer.AsSpan(0, received), SocketFlags.None, peer);
            }
            catch (SocketException)
            {
                // A refused reply costs that reply, not the server.
            }
        }
    }

    private static async Task NaiveAsyncLoop(IPEndPoint listen, CancellationToken cancellation)
    {
        using Socket socket = NaiveUdpSocket.Bind(listen);
        byte[] buffer = new byte[65536];
        var peer = new SocketAddress(listen.AddressFamily);
        while (!cancellation.IsCancellationRequested)
        {
            int received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, peer, cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            try
            {
                await socket.SendToAsync(buffer.AsMemory(0, received), SocketFlags.None, peer, cancellation).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                // A refused reply costs that reply, not the server.
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Runs <paramref name="loop"/> on a thread of its own over a socket already bound; disposes it at the end.</summary>
    private static Task<bool> RunOnThread<TSocket>(TSocket socket, Action<TSocket> loop)
        where TSocket : IDisposable => DedicatedThread.Run("rebound bench serve", () =>
    {
        using (socket)
        {
            loop(socket);
        }

        return true;
    });
}
