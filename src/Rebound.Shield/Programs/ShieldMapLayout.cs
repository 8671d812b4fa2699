namespace Rebound.Shield.Programs;

/// <summary>
/// The byte layout shared by the BPF programs and user space. One map, keyed by who asked and on which port:
/// <code>
/// key   (20 bytes): peer address [16] (IPv4 as ::ffff:a.b.c.d) | peer port [2, network order] | local port [2, host order]
/// value (20 bytes): local address the peer sent to [16] (same form) | arrival ifindex [4, host order]
/// </code>
/// and a per-CPU array of <see cref="ShieldCounter"/> u64 counters.
/// </summary>
internal static class ShieldMapLayout
{
    public const int KeySize = 20;
    public const int ValueSize = 20;
    public const int PeerAddressOffset = 0;
    public const int PeerPortOffset = 16;
    public const int LocalPortOffset = 18;
    public const int LocalAddressOffset = 0;
    public const int IfIndexOffset = 16;

    /// <summary>Slots in the counter array (room to add counters without changing the map).</summary>
    public const int CounterSlots = 8;
    public const int CounterSize = 8;

    public const string AddressMapName = "rb_addresses";
    public const string CounterMapName = "rb_counters";
}
