namespace Rebound;

/// <summary>Settings for <see cref="ReboundServer"/>. The defaults suit a request/response server such as DNS.</summary>
public sealed class ReboundServerOptions
{
    /// <summary>
    /// How many SO_REUSEPORT sockets to open on the address, each served by its own thread; the kernel spreads clients
    /// among them by address hash. Default: one per processor.
    /// </summary>
    public int SocketCount { get; set; } = Environment.ProcessorCount;

    /// <summary>Datagrams each socket receives and answers per system call (recvmmsg/sendmmsg). Default 32.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Bytes per request and per reply buffer; longer requests are dropped as truncated. Default 4096.</summary>
    public int BufferSize { get; set; } = 4096;

    /// <summary>
    /// Socket settings (dual-stack, buffer sizes, kernel drop reporting). <see cref="ReboundSocketOptions.ReusePort"/> is
    /// turned on whenever <see cref="SocketCount"/> is above 1.
    /// </summary>
    public ReboundSocketOptions Socket { get; set; } = new();

    /// <summary>
    /// Called on a server thread with every error the server survives: the handler threw (or returned a length its
    /// reply buffer cannot hold), a receive failed (the thread pauses and goes on), or a serving thread ended on an error
    /// about its socket. Hosting logs them. Must not throw.
    /// </summary>
    public Action<Exception>? OnError { get; set; }
}
