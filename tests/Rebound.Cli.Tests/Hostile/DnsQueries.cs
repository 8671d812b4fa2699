namespace Rebound.Cli.Tests.Hostile;

/// <summary>The DNS side of the hostile tests: the query every server is sent, and the sample responder that answers it.</summary>
internal static class DnsQueries
{
    /// <summary>A standard query for host.example.test A: valid DNS, so the DNS sample answers it and the echo servers echo it.</summary>
    public static byte[] HostA(ushort id) =>
    [
        (byte)(id >> 8), (byte)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
        4, (byte)'h', (byte)'o', (byte)'s', (byte)'t', 7, (byte)'e', (byte)'x', (byte)'a', (byte)'m', (byte)'p', (byte)'l', (byte)'e',
        4, (byte)'t', (byte)'e', (byte)'s', (byte)'t', 0, 0, 1, 0, 1,
    ];

    /// <summary>Starts samples/DnsResponder in <paramref name="netns"/>, authoritative for example.test (host.example.test A 192.0.2.1).</summary>
    public static ServerProcess StartResponder(string? netns, params string[] arguments)
    {
        string hosts = Path.Combine(Path.GetTempPath(), $"rebound-hostile-hosts-{Guid.NewGuid():N}");
        File.WriteAllText(hosts, "192.0.2.1 host.example.test\n");
        return ServerProcess.Program(netns, "DnsResponder.dll", ["-z", "example.test", "-f", hosts, .. arguments]);
    }
}
