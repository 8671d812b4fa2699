namespace Rebound;

/// <summary>Settings for <see cref="ReboundSocket.Bind(System.Net.IPEndPoint, ReboundSocketOptions?)"/>. The defaults suit a server.</summary>
public sealed class ReboundSocketOptions
{
    /// <summary>
    /// For an IPv6 socket: also accept IPv4 (V6ONLY=0), so one socket on <c>[::]</c> serves both families, with IPv4
    /// clients seen as v4-mapped. Default true. Ignored for IPv4 sockets.
    /// </summary>
    public bool DualStack { get; set; } = true;

    /// <summary>
    /// Set SO_REUSEPORT so several sockets can share one address and the kernel spreads datagrams among them. Any
    /// socket of the same user that sets it too can then join the address and take a share of the traffic; leave it
    /// off (the default) to have a bind on a used address fail with "address in use".
    /// </summary>
    public bool ReusePort { get; set; }

    /// <summary>SO_RCVBUF in bytes; 0 keeps the system default.</summary>
    public int ReceiveBufferSize { get; set; }

    /// <summary>SO_SNDBUF in bytes; 0 keeps the system default.</summary>
    public int SendBufferSize { get; set; }


    /// <summary>
    /// How replies get their source address. <see cref="SourceAddressStrategy.Automatic"/> (the default) uses packet
    /// info on 64-bit Linux and per-address sockets elsewhere; name a strategy to force it (for example to exercise the
    /// per-address strategy on Linux).
    /// </summary>
    public SourceAddressStrategy Strategy { get; set; }

    /// <summary>
    /// Per-address strategy only: how often the host's addresses are checked besides the OS's change events, so that a
    /// new address is served within this time (plus a scan) even when an event is missed. Default 100 ms; longer when one check of a host with hundreds of addresses is slow (the watcher keeps checking under ~2 % of a core).
    /// </summary>
    public TimeSpan AddressCheckInterval { get; set; } = PerAddress.AddressWatcher.DefaultInterval;

    /// <summary>Control buffer bytes offered to recvmsg. Only tests lower it, to provoke MSG_CTRUNC.</summary>
    internal int ControlBufferSize { get; set; } = Interop.ControlMessages.ReceiveBufferSize;

    internal ReboundSocketOptions Copy() => (ReboundSocketOptions)MemberwiseClone();
}
