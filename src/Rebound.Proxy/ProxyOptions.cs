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

    /// <summary>
    /// Multicast groups the front sockets join (each front whose family can receive the group: an IPv4 group on
    /// <c>0.0.0.0</c> and dual-stack <c>[::]</c> fronts, an IPv6 group on <c>[::]</c> fronts). A datagram sent to a group
    /// opens one flow and is answered once, from the arrival interface's address.
    /// </summary>
    public IReadOnlyList<MulticastGroup> MulticastGroups { get; init; } = [];

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

        if (Listen.Distinct().Count() != Listen.Count)
        {
            return $"--listen {Listen.GroupBy(l => l).First(g => g.Count() > 1).Key} is given twice";
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

            if (Listen.Any(l => IsOwnListen(l, backend)))
            {
                return $"backend {backend} is the proxy's own listening address: datagrams would loop";
            }
        }

        foreach (MulticastGroup group in MulticastGroups)
        {
            if (group.Address is null || !UdpEndPoint.FromIPAddress(group.Address, 0).IsMulticast)
            {
                return $"--join {group}: not a multicast address (224.0.0.0/4 or ff00::/8)";
            }

            if (!Listen.Any(l => CanReceive(l, DualStack, group)))
            {
                return $"--join {group}: no --listen address can receive it; listen on a wildcard of its family ([::]:PORT or 0.0.0.0:PORT)";
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

    /// <summary>Whether a front bound to <paramref name="listen"/> can receive datagrams sent to <paramref name="group"/>.</summary>
    internal static bool CanReceive(IPEndPoint listen, bool dualStack, MulticastGroup group)
    {
        bool v4Group = group.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork || group.Address.IsIPv4MappedToIPv6;
        return listen.Address.Equals(IPAddress.Any) ? v4Group
            : listen.Address.Equals(IPAddress.IPv6Any) && (!v4Group || dualStack);
    }

    private static bool IsWildcard(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);

    /// <summary>
    /// True when datagrams sent to <paramref name="backend"/> would reach the front socket bound to
    /// <paramref name="listen"/>: the same port, and the same address or (for a wildcard) any address of this host.
    /// </summary>
    private bool IsOwnListen(IPEndPoint listen, IPEndPoint backend)
    {
        if (listen.Port != backend.Port)
        {
            return false;
        }

        IPAddress backendAddress = backend.Address.IsIPv4MappedToIPv6 ? backend.Address.MapToIPv4() : backend.Address;
        IPAddress listenAddress = listen.Address.IsIPv4MappedToIPv6 ? listen.Address.MapToIPv4() : listen.Address;
        if (IsWildcard(listenAddress))
        {
            bool sameFamily = listenAddress.AddressFamily == backendAddress.AddressFamily ||
                (listenAddress.Equals(IPAddress.IPv6Any) && DualStack && backendAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
            return sameFamily && LocalAddresses.IsLocal(backendAddress);
        }

        return listenAddress.Equals(backendAddress);
    }
}
