using System.Runtime.InteropServices;

namespace Rebound.Cli.Infrastructure;

/// <summary>
/// Turns SIGINT (Ctrl-C) and SIGTERM (systemd, docker stop, kill) into a cancellation instead of the default exit with
/// 130/143, so a server can stop cleanly, print its final statistics and exit 0. Dispose to restore the default.
/// </summary>
internal sealed class SignalStop : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly PosixSignalRegistration _onInt;
    private readonly PosixSignalRegistration _onTerm;

    public SignalStop(CancellationToken cancellation)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        _onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        _onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
    }

    /// <summary>Cancelled by a signal or by the token given at construction.</summary>
    public CancellationToken Token => _stop.Token;

    private void Stop(PosixSignalContext context)
    {
        context.Cancel = true;
        _stop.Cancel();
    }

    public void Dispose()
    {
        _onInt.Dispose();
        _onTerm.Dispose();
        _stop.Dispose();
    }
}
