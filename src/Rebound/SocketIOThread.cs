using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Rebound.Interop;

namespace Rebound;

/// <summary>
/// A socket's own I/O thread for async waits. The runtime's socket engine hands every completed wait from its epoll
/// thread to the thread pool, which costs about 3 µs per datagram; only the process-wide switch
/// <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS</c> avoids that. Here a waiting receive registers a
/// <see cref="ReadinessWaiter"/>; one thread per socket (started on the first wait) sleeps in <c>poll()</c> while a wait
/// is pending and completes it inline when the socket turns readable, so the awaiting loop goes on on this thread and
/// keeps receiving synchronously while datagrams are queued. Nothing is registered while no one waits: a busy socket
/// costs no wake-ups. An eventfd wakes the thread for waits registered on other threads and for Dispose.
/// </summary>
internal sealed unsafe class SocketIOThread
{
    private readonly SafeSocketHandle _socket;
    private readonly string _name;
    private readonly Lock _gate = new();
    private ReadinessWaiter? _pending;
    private ReadinessWaiter? _spare;
    private Thread? _thread;
    private int _wake = -1;
    private bool _disposed;

    public SocketIOThread(SafeSocketHandle socket, string name)
    {
        _socket = socket;
        _name = name;
    }

    /// <summary>Completes when the socket is readable (or shut down, or has an error to report).</summary>
    /// <exception cref="ObjectDisposedException">The socket was disposed before or during the wait.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ValueTask WaitReadableAsync(CancellationToken cancellationToken)
    {
        ReadinessWaiter waiter;
        lock (_gate)
        {
            if (_disposed)
            {
                return ValueTask.FromException(new ObjectDisposedException(nameof(ReboundSocket)));
            }

            StartIfNeeded();
            waiter = _spare ?? new ReadinessWaiter(this);
            _spare = null;
            waiter.Reset();
            waiter.Next = _pending;
            _pending = waiter;

            // The I/O thread polls the socket only while a wait is pending; a wait registered elsewhere must wake it.
            if (Thread.CurrentThread != _thread)
            {
                Libc.EventFdWrite(_wake, 1);
            }
        }

        short version = waiter.Version;
        waiter.Register(cancellationToken);
        return new ValueTask(waiter, version);
    }

    /// <summary>Takes <paramref name="waiter"/> off the pending list; false when someone already completed it.</summary>
    internal bool Remove(ReadinessWaiter waiter)
    {
        lock (_gate)
        {
            ref ReadinessWaiter? link = ref _pending;
            while (link is not null)
            {
                if (link == waiter)
                {
                    link = waiter.Next;
                    waiter.Next = null;
                    return true;
                }

                link = ref link.Next!;
            }

            return false;
        }
    }

    internal void Recycle(ReadinessWaiter waiter)
    {
        lock (_gate)
        {
            _spare ??= waiter;
        }
    }

    /// <summary>Fails every pending wait with <see cref="ObjectDisposedException"/> and stops the thread.</summary>
    public void Dispose()
    {
        ReadinessWaiter? waiters;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            waiters = _pending;
            _pending = null;
            if (_thread is not null)
            {
                Libc.EventFdWrite(_wake, 1);   // the thread closes the eventfd once it sees _disposed
            }
        }

        CompleteAll(waiters, new ObjectDisposedException(nameof(ReboundSocket)));
    }

    private void StartIfNeeded()
    {
        if (_thread is not null)
        {
            return;
        }

        _wake = Libc.EventFd(0, Libc.EFD_CLOEXEC);
        if (_wake < 0)
        {
            throw Libc.LastError.ToException("eventfd");
        }

        _thread = new Thread(Run) { IsBackground = true, Name = _name };
        _thread.Start();
    }

    private void Run()
    {
        PollDescriptor* descriptors = stackalloc PollDescriptor[2];
        try
        {
            while (true)
            {
                bool waiting;
                lock (_gate)
                {
                    if (_disposed)
                    {
                        return;
                    }

                    waiting = _pending is not null;
                }

                // Hold the handle only inside poll(): Socket.Dispose waits for every reference to be released, and it
                // may be called by a continuation running on this very thread.
                bool added = false;
                _socket.DangerousAddRef(ref added);
                int result;
                try
                {
                    descriptors[0] = new PollDescriptor { Descriptor = _wake, Events = Libc.POLLIN };
                    descriptors[1] = new PollDescriptor { Descriptor = waiting ? (int)_socket.DangerousGetHandle() : -1, Events = Libc.POLLIN };
                    result = Libc.Poll(descriptors, 2, -1);
                }
                finally
                {
                    _socket.DangerousRelease();
                }

                if (result < 0)
                {
                    Errno errno = Libc.LastError;
                    if (errno == Errno.EINTR)
                    {
                        continue;
                    }

                    Fail(errno.ToException("poll"));
                    return;
                }

                if (descriptors[0].ReturnedEvents != 0)
                {
                    ulong ignored;
                    Libc.EventFdRead(_wake, &ignored);
                }

                if (descriptors[1].ReturnedEvents != 0)
                {
                    // Readable, shut down, or an error queued: every waiter retries its receive, which tells which.
                    ReadinessWaiter? waiters;
                    lock (_gate)
                    {
                        waiters = _pending;
                        _pending = null;
                    }

                    CompleteAll(waiters, null);
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // DangerousAddRef on a closed handle: the socket is gone.
            Fail(new ObjectDisposedException(nameof(ReboundSocket)));
        }
        finally
        {
            lock (_gate)
            {
                _disposed = true;
                Libc.Close(_wake);
                _wake = -1;
            }
        }
    }

    private void Fail(Exception error)
    {
        ReadinessWaiter? waiters;
        lock (_gate)
        {
            _disposed = true;
            waiters = _pending;
            _pending = null;
        }

        CompleteAll(waiters, error);
    }

    private static void CompleteAll(ReadinessWaiter? waiters, Exception? error)
    {
        while (waiters is not null)
        {
            ReadinessWaiter next = waiters.Next!;
            waiters.Next = null;
            if (error is null)
            {
                waiters.Complete();
            }
            else
            {
                waiters.Fail(error);
            }

            waiters = next;
        }
    }
}
