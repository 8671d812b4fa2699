namespace Rebound.Proxy;

/// <summary>The bounds that keep a proxy's memory and sockets finite, whatever its clients send.</summary>
public sealed record FlowLimits
{
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan DefaultOneWayIdleTimeout = TimeSpan.FromSeconds(300);
    public const int DefaultMaxFlows = 65_536;
    public const int DefaultMaxFlowsPerClient = 256;

    /// <summary>A flow the backend has answered closes after this long without a datagram either way.</summary>
    public TimeSpan IdleTimeout { get; init; } = DefaultIdleTimeout;

    /// <summary>A flow the backend never answered (syslog, metrics) closes after this long without a datagram.</summary>
    public TimeSpan OneWayIdleTimeout { get; init; } = DefaultOneWayIdleTimeout;

    /// <summary>At most this many flows (one upstream socket each) at once.</summary>
    public int MaxFlows { get; init; } = DefaultMaxFlows;

    /// <summary>At most this many flows from one client at once: one IPv4 address, or one IPv6 prefix (see below).</summary>
    public int MaxFlowsPerClient { get; init; } = DefaultMaxFlowsPerClient;

    /// <summary>
    /// How many leading bits of an IPv6 client address name one client for <see cref="MaxFlowsPerClient"/>: 128 (the
    /// default) counts each address, 64 counts a whole /64 as one client, since one host can use any address of its
    /// /64 (privacy addresses) and so dodge a per-address limit. IPv4 clients always count by address.
    /// </summary>
    public int ClientPrefixLengthV6 { get; init; } = 128;

    /// <summary>Null when the limits make sense, otherwise what is wrong.</summary>
    public string? Validate() =>
        IdleTimeout <= TimeSpan.Zero ? "the idle timeout must be positive"
        : OneWayIdleTimeout <= TimeSpan.Zero ? "the one-way idle timeout must be positive"
        : MaxFlows < 1 ? "max flows must be at least 1"
        : MaxFlowsPerClient < 1 ? "max flows per client must be at least 1"
        : ClientPrefixLengthV6 is < 1 or > 128 ? $"the IPv6 client prefix length must be between 1 and 128, not {ClientPrefixLengthV6}"
        : null;
}
