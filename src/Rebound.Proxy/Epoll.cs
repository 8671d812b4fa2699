using System.Runtime.InteropServices;
using Rebound.Interop;

namespace Rebound.Proxy;

/// <summary>
/// A Linux epoll instance (level-triggered) plus an eventfd to wake it. The proxy runs one event loop on one thread
/// over every front and upstream socket; the runtime's own socket engine would hop to the thread pool for each
/// datagram, which costs more than the four system calls a proxied exchange needs.
/// </summary>
internal sealed unsafe class Epoll : IDisposable
{
    /// <summary>The token <see cref="Wait"/> reports when <see cref="Wake"/> was called.</summary>
    public const ulong WakeToken = ulong.MaxValue;

    // struct epoll_event is packed on x86-64 (12 bytes) and naturally aligned elsewhere (16 bytes).
    private static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int DataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    private readonly int _epoll;
    private readonly int _wake;
    private readonly byte* _events;
    private readonly int _capacity;
    private bool _disposed;

    public Epoll(int capacity)
    {
        _capacity = capacity;
        _epoll = Libc.EpollCreate(Libc.EPOLL_CLOEXEC);
        if (_epoll < 0)
        {
            throw Libc.LastError.ToException("epoll_create1");
        }

        _wake = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (_wake < 0)
        {
            Errno errno = Libc.LastError;
            _ = Libc.Close(_epoll);
            throw errno.ToException("eventfd");
        }

        _events = (byte*)NativeMemory.AllocZeroed((nuint)(capacity * EventSize));
        Add(_wake, WakeToken);
    }

    /// <summary>Watches <paramref name="fd"/> for readability (errors are always reported); <paramref name="token"/> comes back from <see cref="Wait"/>.</summary>
    public void Add(int fd, ulong token)
    {
        byte* ev = stackalloc byte[16];
        *(uint*)ev = Libc.EPOLLIN;
        *(ulong*)(ev + DataOffset) = token;
        if (Libc.EpollControl(_epoll, Libc.EPOLL_CTL_ADD, fd, ev) != 0)
        {
            throw Libc.LastError.ToException("epoll_ctl(ADD)");
        }
    }

    /// <summary>Stops watching <paramref name="fd"/>; harmless if it was not watched.</summary>
    public void Remove(int fd)
    {
        byte* ev = stackalloc byte[16];
        _ = Libc.EpollControl(_epoll, Libc.EPOLL_CTL_DEL, fd, ev);
    }

    /// <summary>Waits up to <paramref name="timeoutMilliseconds"/> for events; returns how many (0 on timeout or signal).</summary>
    public int Wait(int timeoutMilliseconds)
    {
        int n = Libc.EpollWait(_epoll, _events, _capacity, timeoutMilliseconds);
        if (n >= 0)
        {
            return n;
        }

        // EINTR: a signal woke the wait; the loop waits again, with the timeout it computes anew.
        Errno errno = Libc.LastError;
        return errno == Errno.EINTR ? 0 : throw errno.ToException("epoll_wait");
    }

    /// <summary>The token of the <paramref name="index"/>th event of the last <see cref="Wait"/>.</summary>
    public ulong TokenAt(int index) => *(ulong*)(_events + (index * EventSize) + DataOffset);

    /// <summary>Makes a pending or the next <see cref="Wait"/> return at once, from any thread.</summary>
    public void Wake()
    {
        _ = Libc.EventFdWrite(_wake, 1);
    }

    /// <summary>Clears the wake signal (call when <see cref="WakeToken"/> was reported).</summary>
    public void ClearWake()
    {
        ulong value;
        _ = Libc.EventFdRead(_wake, &value);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _ = Libc.Close(_wake);
        _ = Libc.Close(_epoll);
        NativeMemory.Free(_events);
    }
}
