using System.Net;

namespace Rebound.Cli.Servers;

/// <summary>What an echo server was asked to do.</summary>
internal sealed record EchoSettings(IPEndPoint Listen, bool DualStack, bool Verbose, int Count, bool Json = false,
    SourceAddressStrategy Strategy = SourceAddressStrategy.Automatic)
{
    /// <summary>Multicast groups to join (--join).</summary>
    public IReadOnlyList<MulticastGroup> Groups { get; init; } = [];

    /// <summary>The socket options these settings ask for.</summary>
    public ReboundSocketOptions SocketOptions => new() { DualStack = DualStack, Strategy = Strategy };

    /// <summary>The line every echo mode prints when it stops (Ctrl-C, SIGTERM or --count).</summary>
    public static void PrintTotals(long received, long answered, long failed) =>
        Console.Error.WriteLine($"rebound echo: {received} received, {answered} answered, {failed} replies failed.");

    /// <summary>How the start line describes a strategy.</summary>
    public static string Describe(SourceAddressStrategy strategy) =>
        strategy == SourceAddressStrategy.PerAddress ? "one socket per local address" : "IP_PKTINFO";
}
