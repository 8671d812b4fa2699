using System.Threading.Tasks.Sources;

namespace Rebound;

/// <summary>
/// One async wait for a socket to become readable, as a reusable <see cref="IValueTaskSource"/>, so that waiting
/// allocates nothing in steady state. Completed by <see cref="SocketIOThread"/> (readable), by cancellation, or by
/// Dispose. Its continuation runs where it is completed: on the I/O thread for a readable socket.
/// </summary>
internal sealed class ReadinessWaiter(SocketIOThread owner) : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _core;
    private CancellationTokenRegistration _registration;

    /// <summary>The next waiter in the owner's pending list (guarded by the owner's lock).</summary>
    public ReadinessWaiter? Next;

    public short Version => _core.Version;

    public void Reset()
    {
        _core.Reset();
        _registration = default;
        Next = null;
    }

    public void Register(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(static (state, token) => ((ReadinessWaiter)state!).Cancel(token), this);
        }
    }

    public void Complete() => _core.SetResult(true);

    public void Fail(Exception error) => _core.SetException(error);

    private void Cancel(CancellationToken token)
    {
        // Only the one who takes the waiter off the pending list completes it.
        if (owner.Remove(this))
        {
            Fail(new OperationCanceledException(token));
        }
    }

    public void GetResult(short token)
    {
        // A cancellation callback that already ran (or is running) may still hold this waiter: then it is not reused.
        bool reusable = _registration.Equals(default(CancellationTokenRegistration)) || _registration.Unregister();
        try
        {
            _core.GetResult(token);
        }
        finally
        {
            if (reusable)
            {
                owner.Recycle(this);
            }
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
