using System.Net;

namespace Rebound.Cli.Proxy;

/// <summary>Everything a <see cref="UdpProxy"/> needs: where to listen, the fixed set of backends, and the limits.</summary>
internal sealed record ProxyOptions
{
    public static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Front addresses. <c>[::]:P</c> is dual-stack unless <see cref="DualStack"/> is false.</summary>
    public required IReadOnlyList<IPEndPoint> Listen { get; init; }

    /// <summary>The only places datagrams are ever forwarded to; a flow picks one by its client's address.</summary>
    public required IReadOnlyList<IPEndPoint> Backends { get; init; }

    public FlowLimits Limits { get; init; } = new();

    /// <summary>For <c>[::]</c> front addresses: also accept IPv4. Default true.</summary>
    public bool DualStack { get; init; } = true;

    /// <summary>On stop, how long to keep delivering backend replies for datagrams already forwarded.</summary>
    public TimeSpan DrainTimeout { get; init; } = DefaultDrainTimeout;

    /// <summary>Null when the options make sense, otherwise one sentence saying what is wrong.</summary>
    public string? Validate()
    {
        if (Listen.Count == 0)
        {
            return "give at least one --listen address";
        }

        if (Backends.Count == 0)
        {
            return "give at least one --to backend";
        }

        foreach (IPEndPoint backend in Backends)
        {
            if (backend.Port == 0)
            {
                return $"backend {backend} has no port";
            }

            if (backend.Address.Equals(IPAddress.Any) || backend.Address.Equals(IPAddress.IPv6Any))
            {
                return $"backend {backend} is a wildcard address; name the backend's address (for example 127.0.0.1:{backend.Port})";
            }

            if (Listen.Any(l => l.Port == backend.Port && (l.Address.Equals(backend.Address) || IsWildcard(l.Address)) && IsLocalOnly(backend.Address)))
            {
                return $"backend {backend} is the proxy's own listening address: datagrams would loop";
            }
        }

        return DrainTimeout < TimeSpan.Zero ? "the drain timeout cannot be negative" : Limits.Validate();
    }

    private static bool IsWildcard(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);

    private static bool IsLocalOnly(IPAddress address) => IPAddress.IsLoopback(address);
}
