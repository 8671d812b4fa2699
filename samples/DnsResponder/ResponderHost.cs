using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Rebound;

namespace DnsResponder;

/// <summary>
/// Binds, serves an <see cref="IDatagramResponder"/> until Ctrl-C, SIGTERM or cancellation, and prints a summary.
/// Returns the exit code: 0, 3 when the address is in use or not local, 4 when binding needs a privilege.
/// </summary>
internal static class ResponderHost
{
    public static async Task<int> RunAsync(
        IDatagramResponder responder, IPEndPoint endPoint, ServeMode mode, int threads, TextWriter output, TextWriter error, CancellationToken cancellation,
        IReadOnlyList<MulticastGroup>? groups = null)
    {
        groups ??= [];
        // SIGTERM (systemd, docker stop) stops it like Ctrl-C: stop receiving, print the summary, exit 0.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using PosixSignalRegistration onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using PosixSignalRegistration onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        try
        {
            (long answered, long dropped) = mode == ServeMode.Batched
                ? await ServeBatchedAsync(responder, endPoint, threads, groups, error, stop.Token).ConfigureAwait(false)
                : await ServeOneSocketAsync(responder, endPoint, mode, groups, error, stop.Token).ConfigureAwait(false);
            output.WriteLine($"dns-responder: answered {answered}, dropped {dropped}.");
            return ResponderCommand.Success;
        }
        catch (SocketException e)
        {
            error.WriteLine($"dns-responder: cannot serve on {endPoint}: {e.Message}");
            return e.SocketErrorCode == SocketError.AccessDenied ? ResponderCommand.Permission : ResponderCommand.Network;
        }

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    private static async Task<(long Answered, long Dropped)> ServeBatchedAsync(
        IDatagramResponder responder, IPEndPoint endPoint, int threads, IReadOnlyList<MulticastGroup> groups, TextWriter error, CancellationToken stop)
    {
        var failures = new ThrottledLog(error);
        var options = new ReboundServerOptions
        {
            SocketCount = threads,
            OnError = e => failures.Write(e.Message),
        };
        foreach (MulticastGroup group in groups)
        {
            options.JoinMulticastGroup(group);
        }

        await using ReboundServer server = ReboundServer.Start(
            endPoint, (ReadOnlySpan<byte> request, Span<byte> reply, in ReceivedDatagram _) => responder.Respond(request, reply), options);
        Announce(error, endPoint, $"{server.SocketCount} thread(s), batched; replies leave from each query's destination address");
        await Task.WhenAny(Task.Delay(Timeout.Infinite, stop), server.Completion).ConfigureAwait(false);
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await server.StopAsync(grace.Token).ConfigureAwait(false);
        failures.Flush();
        ReboundStatistics statistics = server.Statistics;
        return (statistics.Sent, statistics.Received - statistics.Sent);
    }

    private static async Task<(long Answered, long Dropped)> ServeOneSocketAsync(
        IDatagramResponder responder, IPEndPoint endPoint, ServeMode mode, IReadOnlyList<MulticastGroup> groups, TextWriter error, CancellationToken stop)
    {
        var counters = new ServeCounters();
        IDisposable socket;
        Action serve;
        if (mode == ServeMode.Naive)
        {
            Socket plain = ResponderLoop.BindNaive(endPoint);
            (socket, serve) = (plain, () => ResponderLoop.RunNaive(plain, responder, counters));
            Announce(error, endPoint, "plain sendto (--naive: replies may leave from the wrong address)");
        }
        else
        {
            ReboundSocket rebound = ReboundSocket.Bind(endPoint);
            try
            {
                foreach (MulticastGroup group in groups)
                {
                    rebound.JoinMulticastGroup(group);
                }
            }
            catch
            {
                rebound.Dispose();
                throw;
            }

            (socket, serve) = (rebound, () => ResponderLoop.Run(rebound, responder, counters, error));
            Announce(error, endPoint, "one thread; replies leave from each query's destination address");
        }

        using (socket)
        using (stop.Register(socket.Dispose))
        {
            await Task.Factory.StartNew(serve, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        }

        return (counters.Answered, counters.Dropped + counters.Unanswerable);
    }

    private static void Announce(TextWriter error, IPEndPoint endPoint, string how) =>
        error.WriteLine($"dns-responder: listening on {endPoint}: {how}.");
}
