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
    /// Socket settings (dual-stack, buffer sizes). The server's own sockets always share the address with each other; set
    /// <see cref="ReboundSocketOptions.ReusePort"/> only to share it with other servers as well (same user only, the
    /// kernel's rule). Without it, starting on an address another socket holds fails with "address in use".
    /// </summary>
    public ReboundSocketOptions Socket { get; set; } = new();

    /// <summary>
    /// Adds a multicast group every socket of the server joins. Each request to a group (or to a broadcast address) is
    /// answered once, by one socket, although the kernel hands a copy to each.
    /// </summary>
    public ReboundServerOptions JoinMulticastGroup(MulticastGroup group)
    {
        MulticastGroups.Add(group);
        return this;
    }

    /// <summary>The groups added with <see cref="JoinMulticastGroup(MulticastGroup)"/>.</summary>
    internal List<MulticastGroup> MulticastGroups { get; } = [];

    /// <summary>
    /// Called on a server thread with every error the server survives: the handler threw (or returned a length its
    /// reply buffer cannot hold), a reply was refused by the kernel (a route or firewall rejecting the client's address:
    /// a <see cref="System.Net.Sockets.SocketException"/>; the other replies still go), a receive failed (the thread
    /// pauses and goes on), or a serving thread ended on an error about its socket. Hosting logs them. Must not throw.
    /// </summary>
    public Action<Exception>? OnError { get; set; }
}
