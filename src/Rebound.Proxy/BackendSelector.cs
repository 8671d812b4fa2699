namespace Rebound.Proxy;

/// <summary>
/// Picks a backend for a new flow from the client's address alone (not its port), with a hash that is the same in
/// every process and run, so one client keeps landing on one backend, even across proxy restarts. Public so that an
/// operator (or a test) can tell which backend a client's flows go to.
/// </summary>
public static class BackendSelector
{
    /// <summary>The index, in 0..<paramref name="backendCount"/>-1, of the backend for <paramref name="client"/>.</summary>
    public static int Pick(UdpEndPoint client, int backendCount)
    {
        if (backendCount <= 1)
        {
            return 0;
        }

        // FNV-1a over the 16-byte form (IPv4 as v4-mapped, so both families of one IPv4 client agree).
        Span<byte> bytes = stackalloc byte[16];
        client.MapToIPv6().ToIPAddress().TryWriteBytes(bytes, out _);
        uint hash = 2166136261;
        foreach (byte b in bytes)
        {
            hash = (hash ^ b) * 16777619;
        }

        return (int)(hash % (uint)backendCount);
    }
}
