using System.Net;

namespace Rebound.Cli.Servers;

/// <summary>What an echo server was asked to do.</summary>
internal sealed record EchoSettings(IPEndPoint Listen, bool DualStack, bool Verbose, int Count, bool Json = false);
