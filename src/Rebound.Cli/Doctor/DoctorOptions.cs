namespace Rebound.Cli.Doctor;

/// <summary>What <c>rebound doctor</c> was asked to inspect and how.</summary>
/// <param name="NamespacePath">A network namespace file (<c>/run/netns/NAME</c>, <c>/proc/PID/ns/net</c>), or null for the current one.</param>
/// <param name="NamespaceLabel">How to name that namespace in messages.</param>
/// <param name="Ports">Probe these ports instead of every wildcard listener found (empty: all found).</param>
/// <param name="Addresses">Probe only these local addresses (empty: every address of the namespace); a scope names the link.</param>
/// <param name="Payload">Send this instead of the protocol-aware request for the port.</param>
/// <param name="Timeout">How long one probe waits for its reply.</param>
/// <param name="Probe">False: list sockets only.</param>
/// <param name="FromNetns">Probe from this named namespace's clients' side instead of from the inspected namespace.</param>
/// <param name="FromPid">Probe from this process's network namespace.</param>
/// <param name="FromContainers">Probe from every container namespace joined to the inspected one by a veth pair.</param>
/// <param name="Family">-4/-6: probe only addresses of this family (null: both).</param>
internal sealed record DoctorOptions(
    string? NamespacePath,
    string NamespaceLabel,
    IReadOnlyList<int> Ports,
    IReadOnlyList<AddressChoice> Addresses,
    byte[]? Payload,
    TimeSpan Timeout,
    bool Probe = true,
    string? FromNetns = null,
    int? FromPid = null,
    bool FromContainers = false,
    System.Net.Sockets.AddressFamily? Family = null)
{
    /// <summary>True when probes are sent from clients' namespaces (connected sockets) rather than from inside.</summary>
    public bool FromClients => FromNetns is not null || FromPid is not null || FromContainers;

    /// <summary>At most this many probes per run (listeners × addresses); the rest are reported as skipped.</summary>
    public const int MaxProbes = 512;

    /// <summary>Probes in flight at once: 20 listeners × a few addresses finish in about one timeout.</summary>
    public const int Parallelism = 128;
}
