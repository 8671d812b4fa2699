using System.Net;

namespace Rebound.Proxy;

/// <summary>Everything a <see cref="UdpProxy"/> needs: where to listen, the fixed set of backends, and the limits.</summary>
public sealed record ProxyOptions
{
    public static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromSeconds(1);

    /// <summary>The most event loops a proxy may run (far more than cores on any host it is meant for).</summary>
    public const int MaxThreads = 1024;

    /// <summary>Front addresses. <c>[::]:P</c> is dual-stack unless <see cref="DualStack"/> is false.</summary>
    public required IReadOnlyList<IPEndPoint> Listen { get; init; }

    /// <summary>The only places datagrams are ever forwarded to; a flow picks one by its client's address.</summary>
    public required IReadOnlyList<IPEndPoint> Backends { get; init; }

    public FlowLimits Limits { get; init; } = new();

    /// <summary>For <c>[::]</c> front addresses: also accept IPv4. Default true.</summary>
    public bool DualStack { get; init; } = true;

    /// <summary>
    /// Event loops (threads), each with its own front sockets (sharing the addresses with SO_REUSEPORT when more than
    /// one), flow table and upstream sockets. <see cref="FlowLimits.MaxFlows"/> is split between them. Default 1.
    /// </summary>
    public int Threads { get; init; } = 1;

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

        return DrainTimeout < TimeSpan.Zero ? "the drain timeout cannot be negative"
            : Limits.Validate() is string limits ? limits
            : Threads is < 1 or > MaxThreads ? $"threads must be between 1 and {MaxThreads} (0 on the command line: one per core)"
            : Limits.MaxFlows < Threads ? $"max flows ({Limits.MaxFlows}) must be at least the number of threads ({Threads}): each thread holds a share of them"
            : null;
    }

    /// <summary>
    /// Loop <paramref name="loop"/>'s limits: its share of <see cref="FlowLimits.MaxFlows"/> (split as evenly as
    /// possible, the first loops taking the remainder); the per-client limit applies in each loop as it is.
    /// </summary>
    public FlowLimits LimitsOfLoop(int loop)
    {
        int share = (Limits.MaxFlows / Threads) + (loop < Limits.MaxFlows % Threads ? 1 : 0);
        return Limits with { MaxFlows = share };
    }

    private static bool IsWildcard(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);

    private static bool IsLocalOnly(IPAddress address) => IPAddress.IsLoopback(address);
}
