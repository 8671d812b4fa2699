using System.Runtime.InteropServices;

namespace Rebound.Proxy;

/// <summary>
/// A Linux epoll instance (level-triggered) plus an eventfd to wake it. The proxy runs one event loop on one thread
/// over every front and upstream socket; the runtime's own socket engine would hop to the thread pool for each
/// datagram, which costs more than the four system calls a proxied exchange needs.
/// </summary>
internal sealed unsafe partial class Epoll : IDisposable
{
    private const int EPOLL_CLOEXEC = 0x80000;
    private const int EFD_CLOEXEC = 0x80000;
    private const int EFD_NONBLOCK = 0x800;
    private const int EPOLL_CTL_ADD = 1;
    private const int EPOLL_CTL_DEL = 2;
    private const uint EPOLLIN = 0x001;
    private const int EINTR = 4;

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
        _epoll = epoll_create1(EPOLL_CLOEXEC);
        if (_epoll < 0)
        {
            throw new InvalidOperationException($"epoll_create1 failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        _wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (_wake < 0)
        {
            _ = close(_epoll);
            throw new InvalidOperationException($"eventfd failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        _events = (byte*)NativeMemory.AllocZeroed((nuint)(capacity * EventSize));
        Add(_wake, WakeToken);
    }

    /// <summary>Watches <paramref name="fd"/> for readability (errors are always reported); <paramref name="token"/> comes back from <see cref="Wait"/>.</summary>
    public void Add(int fd, ulong token)
    {
        byte* ev = stackalloc byte[16];
        *(uint*)ev = EPOLLIN;
        *(ulong*)(ev + DataOffset) = token;
        if (epoll_ctl(_epoll, EPOLL_CTL_ADD, fd, ev) != 0)
        {
            throw new InvalidOperationException($"epoll_ctl(ADD) failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
    }

    /// <summary>Stops watching <paramref name="fd"/>; harmless if it was not watched.</summary>
    public void Remove(int fd)
    {
        byte* ev = stackalloc byte[16];
        _ = epoll_ctl(_epoll, EPOLL_CTL_DEL, fd, ev);
    }

    /// <summary>Waits up to <paramref name="timeoutMilliseconds"/> for events; returns how many (0 on timeout or signal).</summary>
    public int Wait(int timeoutMilliseconds)
    {
        int n = epoll_wait(_epoll, _events, _capacity, timeoutMilliseconds);
        if (n >= 0)
        {
            return n;
        }

        int errno = Marshal.GetLastPInvokeError();
        return errno == EINTR
            ? 0
            : throw new InvalidOperationException($"epoll_wait failed: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    /// <summary>The token of the <paramref name="index"/>th event of the last <see cref="Wait"/>.</summary>
    public ulong TokenAt(int index) => *(ulong*)(_events + (index * EventSize) + DataOffset);

    /// <summary>Makes a pending or the next <see cref="Wait"/> return at once, from any thread.</summary>
    public void Wake()
    {
        ulong one = 1;
        _ = write(_wake, &one, 8);
    }

    /// <summary>Clears the wake signal (call when <see cref="WakeToken"/> was reported).</summary>
    public void ClearWake()
    {
        ulong value;
        _ = read(_wake, &value, 8);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _ = close(_wake);
        _ = close(_epoll);
        NativeMemory.Free(_events);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_ctl(int epfd, int op, int fd, byte* ev);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_wait(int epfd, byte* events, int maxEvents, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int eventfd(uint initval, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint write(int fd, void* buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint read(int fd, void* buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
