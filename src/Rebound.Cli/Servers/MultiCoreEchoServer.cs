using System.Net.Sockets;
using Rebound.Cli.Infrastructure;
using Rebound.Cli.Output;
using Rebound.Interop;

namespace Rebound.Cli.Servers;

/// <summary>
/// The echo responder on a <see cref="ReboundServer"/>: several SO_REUSEPORT sockets, one thread each, recvmmsg/sendmmsg
/// batches: the library's cheapest correct path, and what <c>rebound echo</c> runs unless told otherwise.
/// </summary>
internal static class MultiCoreEchoServer
{
    public static async Task<int> RunAsync(EchoSettings settings, int sockets, int batch, CancellationToken cancellation)
    {
        var errors = new ThrottledErrors("rebound echo", Console.Error);
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long answered = 0;
        int Echo(ReadOnlySpan<byte> request, Span<byte> reply, in ReceivedDatagram datagram)
        {
            if (settings.Verbose)
            {
                EchoLog.Answered(settings.Json, datagram.RemoteEndPoint, datagram.LocalEndPoint, datagram.InterfaceIndex, datagram.Length,
                    datagram.ReplySource.WithPort(datagram.LocalEndPoint.Port));
            }

            if (settings.Count > 0 && Interlocked.Increment(ref answered) >= settings.Count)
            {
                enough.TrySetResult();
            }

            request.CopyTo(reply);
            return request.Length == 0 ? ReboundServer.EmptyReply : request.Length;
        }

        var options = new ReboundServerOptions
        {
            SocketCount = sockets > 0 ? sockets : Environment.ProcessorCount,
            BatchSize = batch > 0 ? batch : 32,
            BufferSize = DatagramBatch.MaxBufferSize,
            Socket = settings.SocketOptions,
            OnError = e => errors.Report(e.Message),
        };
        foreach (MulticastGroup group in settings.Groups)
        {
            options.JoinMulticastGroup(group);
        }

        ReboundServer server = ReboundServer.Start(settings.Listen, Echo, options);
        await using (server.ConfigureAwait(false))
        {
            string mode = server.LocalEndPoint.AddressFamily == AddressFamily.InterNetwork ? "IPv4" : settings.DualStack ? "dual-stack" : "IPv6 only";
            Console.Error.WriteLine(
                $"rebound echo: listening on {EndpointText.Format(server.LocalEndPoint)} ({mode}) {Serving(server)}, batches of {options.BatchSize}; " +
                "replies leave from each request's destination address.");
            await Task.WhenAny(enough.Task, Task.Delay(Timeout.Infinite, cancellation)).ConfigureAwait(false);
            await server.StopAsync(CancellationToken.None).ConfigureAwait(false);
            errors.Flush();
            ReboundStatistics stats = server.Statistics;
            EchoSettings.PrintTotals(stats.Received, stats.Sent, stats.SendErrors);
        }

        return ExitCodes.Success;
    }

    private static string Serving(ReboundServer server) => server.Strategy == SourceAddressStrategy.PerAddress
        ? $"with {server.SocketCount} threads on one socket per local address"
        : $"with {server.SocketCount} sockets";
}
