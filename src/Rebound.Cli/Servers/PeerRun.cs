using System.Net;
using System.Net.Sockets;
using Rebound.Cli.Infrastructure;
using Rebound.Cli.Output;

namespace Rebound.Cli.Servers;

/// <summary>
/// What <c>listen</c> and <c>connect</c> share around a <see cref="StreamSession"/>: the output (nc-style payload, or
/// <c>--json</c> events), the signals that end a <c>--json</c> run cleanly, a socket error reported on stderr (and as an
/// <c>error</c> event), and the summary line at the end.
/// </summary>
internal static class PeerRun
{
    /// <param name="json">--json: JSON lines on stdout, and Ctrl-C/SIGTERM end the run with exit 0.</param>
    /// <param name="tcp">The protocol the events name.</param>
    /// <param name="action">What failed, for the error sentence ("listen on", "talk to").</param>
    /// <param name="endpoint">The endpoint the error sentence names.</param>
    /// <param name="errorEnds">The endpoints an <c>error</c> event carries.</param>
    /// <param name="run">The session's work, given the token that a signal (with --json) or the caller cancels.</param>
    /// <param name="cancellation">The command's own cancellation.</param>
    public static async Task<int> RunAsync(
        bool json,
        bool tcp,
        string action,
        IPEndPoint endpoint,
        PeerEnds errorEnds,
        Func<StreamSession, CancellationToken, Task<int>> run,
        CancellationToken cancellation)
    {
        PeerOutput output = PeerOutput.For(json, Console.OpenStandardOutput(), tcp ? "tcp" : "udp");

        // With --json, Ctrl-C and SIGTERM end the run cleanly (exit 0) after the summary line; without, as nc.
        using SignalStop? signals = json ? new SignalStop(cancellation) : null;
        var session = new StreamSession(Console.OpenStandardInput(), output);
        try
        {
            return await run(session, signals?.Token ?? cancellation).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            output.Error(SocketErrors.Describe(e, action, endpoint).Message, errorEnds);
            return SocketErrors.Report(e, action, endpoint);
        }
        catch (OperationCanceledException) when (signals is not null)
        {
            return ExitCodes.Success; // a signal before the first peer (TCP accept, connect)
        }
        finally
        {
            output.Summary();
        }
    }
}
