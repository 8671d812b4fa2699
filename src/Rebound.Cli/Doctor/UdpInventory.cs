namespace Rebound.Cli.Doctor;

/// <summary>How exposed a UDP socket is to the wrong-source-address failure, judged from its binding alone.</summary>
internal enum SocketExposure
{
    /// <summary>Unconnected on 0.0.0.0 or ::: a plain sendto() lets the kernel pick the reply source. The probe decides.</summary>
    Wildcard,

    /// <summary>Bound to one address: every reply leaves from it.</summary>
    SpecificAddress,

    /// <summary>Connected to one peer (a client socket): the kernel fixed both ends at connect time.</summary>
    Connected,
}

/// <summary>A UDP socket of the inspected network namespace, with the processes holding it and its exposure.</summary>
internal sealed record InventoryEntry(UdpSocketEntry Socket, IReadOnlyList<SocketOwner> Owners)
{
    public SocketExposure Exposure =>
        Socket.State != UdpSocketEntry.Unconnected ? SocketExposure.Connected
        : Socket.IsWildcardListener ? SocketExposure.Wildcard
        : SocketExposure.SpecificAddress;

    /// <summary>"pid/program args" of every owner (shortened for a table column), or "?" when no visible process holds it.</summary>
    public string OwnerText => Owners.Count == 0 ? "?" : string.Join(", ", Owners.Select(o => o.ShortText));
}

/// <summary>
/// Lists the UDP sockets of the current thread's network namespace, like <c>ss -uapn</c>. Reads
/// <c>/proc/thread-self/net</c>, not <c>/proc/net</c> (= <c>/proc/self/net</c>, the namespace of the process's main
/// thread), so it reflects the namespace a thread entered with setns.
/// </summary>
internal static class UdpInventory
{
    public static List<InventoryEntry> Read(string procNet = "/proc/thread-self/net")
    {
        var sockets = new List<UdpSocketEntry>();
        foreach (string table in new[] { "udp", "udp6" })
        {
            string path = Path.Combine(procNet, table);
            if (File.Exists(path))
            {
                sockets.AddRange(ProcNetUdpParser.Parse(File.ReadAllText(path)));
            }
        }

        Dictionary<ulong, List<SocketOwner>> owners = SocketOwner.FindAll(sockets.Select(s => s.Inode).ToHashSet());
        return sockets
            .Select(s => new InventoryEntry(s, owners.TryGetValue(s.Inode, out List<SocketOwner>? o) ? o : []))
            .OrderBy(e => e.Exposure)
            .ThenBy(e => e.Socket.Local.Port)
            .ThenBy(e => e.Socket.Local.AddressFamily)
            .ToList();
    }
}
