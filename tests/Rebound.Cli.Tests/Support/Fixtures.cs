namespace Rebound.Cli.Tests.Support;

/// <summary>
/// Small real captures made by tcpdump in the field-report topology (by TcpdumpCaptureTests with
/// REBOUND_SAVE_CAPTURES=DIR), committed under Data/captures/ so the reader and analyzer tests run without root. They are also
/// the seed corpus of the fuzz tests.
/// </summary>
internal static class Fixtures
{
    /// <summary>Naive server, capture on docker0 (Ethernet, µs): request, wrong reply, ICMP, twice. Frames 1–6.</summary>
    public const string NaiveDocker0 = "naive-docker0.pcap";

    /// <summary>Rebound server, same exchange: four UDP datagrams, no finding.</summary>
    public const string ReboundDocker0 = "rebound-docker0.pcap";

    /// <summary>Naive server, -i any, Linux cooked v1 (each packet on vethc and docker0).</summary>
    public const string NaiveAnySll = "naive-any-linux_sll.pcap";

    /// <summary>Naive server, -i any -y LINUX_SLL2.</summary>
    public const string NaiveAnySll2 = "naive-any-linux_sll2.pcap";

    /// <summary>Naive server over IPv6, nanosecond timestamps.</summary>
    public const string NaiveV6Nano = "naive-docker0-v6-nano.pcap";

    /// <summary>Naive server behind the report's SNAT workaround: the source port is remapped.</summary>
    public const string Snat = "snat-docker0.pcap";

    public static readonly string[] All = [NaiveDocker0, ReboundDocker0, NaiveAnySll, NaiveAnySll2, NaiveV6Nano, Snat];

    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Data", "captures", name);

    public static byte[] Bytes(string name) => File.ReadAllBytes(PathOf(name));
}
