using Rebound.Cli.Infrastructure;
using Rebound.Lab;

namespace Rebound.Cli.Lab;

/// <summary>
/// The workarounds people try (SNAT, NOTRACK), applied with the real <c>iptables</c> inside the lab's host namespace,
/// and read back with the real <c>conntrack</c>. Never used outside a namespace the lab created.
/// </summary>
internal static class Netfilter
{
    /// <summary>Adds one rule; returns the command line for the trace. Throws with iptables' message when it fails.</summary>
    public static string Apply(NetworkNamespace ns, params string[] rule)
    {
        ProcessResult result = ns.Exec("iptables", rule);
        string command = "iptables " + string.Join(' ', rule);
        return result.Succeeded
            ? command
            : throw new InvalidOperationException($"`{command}` failed: {result.StandardError.Trim()}");
    }

    /// <summary>Removes the lab's rules and forgets every tracked flow, so the next row starts clean.</summary>
    public static void Reset(NetworkNamespace ns)
    {
        ns.Exec("iptables", ["-t", "nat", "-F"]);
        ns.Exec("iptables", ["-t", "raw", "-F"]);
        if (ProcessRunner.IsInstalled("conntrack"))
        {
            ns.Exec("conntrack", ["-F"]);
        }
    }

    /// <summary>The UDP flows conntrack holds in <paramref name="ns"/> (<c>conntrack -L -p udp</c>).</summary>
    public static IReadOnlyList<ConntrackEntry> UdpFlows(NetworkNamespace ns) =>
        ConntrackEntry.ParseAll(ns.Exec("conntrack", ["-L", "-p", "udp"]).StandardOutput);
}
