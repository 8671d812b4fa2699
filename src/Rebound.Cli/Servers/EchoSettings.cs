using System.Net;

namespace Rebound.Cli.Servers;

/// <summary>What an echo server was asked to do.</summary>
internal sealed record EchoSettings(IPEndPoint Listen, bool DualStack, bool Verbose, int Count, SourceAddressStrategy Strategy = SourceAddressStrategy.Automatic)
{
    /// <summary>The socket options these settings ask for.</summary>
    public ReboundSocketOptions SocketOptions => new() { DualStack = DualStack, Strategy = Strategy };

    /// <summary>How the start line describes a strategy.</summary>
    public static string Describe(SourceAddressStrategy strategy) =>
        strategy == SourceAddressStrategy.PerAddress ? "one socket per local address" : "IP_PKTINFO";
}
