using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Rebound.Lab;

namespace Rebound.Tests.PerAddress;

/// <summary>
/// Address churn inside the host namespace: for 30 s an address is added every 100 ms (IPv4 and IPv6 in turn) and the
/// one added 3 s earlier removed, while a client on the LAN probes every live address and the host's fixed addresses.
/// The per-address set must never answer from another address, must come to serve every new address, must lose
/// nothing on the fixed addresses, and must close the sockets of removed ones. A naive wildcard server in the same
/// setup answers the new addresses from the fixed one.
/// </summary>
public sealed class AddressChurnTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(30);
    private const int Lifetime = 30;   // steps: each address lives 3 s

    [NamespaceFact]
    public void Churn_every_100ms_for_30s_gives_no_wrong_source_and_serves_every_new_address()
    {
        using var topology = FieldReportTopology.Create();
        using PerAddressEcho portable = PerAddressEcho.Start(topology.Host, "::");
        using LabServer naive = topology.Host.Run(() => LabServer.Start(ServerKind.Naive, new IPEndPoint(IPAddress.IPv6Any, 0), dualStack: true));
        // The churned prefixes are routed to the host from the LAN instead of on-link, so the client reaches a new address
        // through the host's known link-layer address: a fresh on-link IPv6 address would add neighbour discovery to
        // the figure (its first solicitation can beat the kernel's solicited-node join, and the retry comes 1 s later).
        topology.Lan.Ip("route", "add", "203.0.113.0/24", "via", FieldReportTopology.HostEth0V4.ToString());
        topology.Lan.Ip("-6", "route", "add", "2001:db8:300::/64", "via", FieldReportTopology.HostEth0V6.ToString());
        using var prober = new ChurnProber(topology.Lan, portable.Port, naive.LocalEndPoint.Port,
            [FieldReportTopology.HostEth0V4, FieldReportTopology.HostEth0V6], a => portable.Serves([a]));

        var clock = Stopwatch.StartNew();
        var live = new Queue<int>();
        int steps = (int)(Duration / Step);
        for (int i = 0; i < steps; i++)
        {
            IPAddress address = ChurnAddress(i);
            topology.Host.Ip(["addr", "add", $"{address}/{(address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)}", "dev", "eth0", .. Nodad(address)]);
            prober.Added(i, address);
            live.Enqueue(i);
            if (live.Count > Lifetime)
            {
                Remove(topology, prober, live.Dequeue());
            }

            TimeSpan next = Step * (i + 1);
            if (clock.Elapsed < next)
            {
                Thread.Sleep(next - clock.Elapsed);
            }
        }

        // The addresses still live get their full 3 s too before they go: the last one was added 100 ms ago.
        Thread.Sleep(Step * Lifetime);
        while (live.Count > 0)
        {
            Remove(topology, prober, live.Dequeue());
        }

        ChurnProber.Result result = prober.Finish();
        Console.WriteLine($"churn: {steps} addresses in {clock.Elapsed.TotalSeconds:F1} s; {result}; watcher: {portable.Set.Watcher!.Scans} scans, " +
                          $"{portable.Set.Watcher.EventWakes} change events, interval {portable.Set.Watcher.CurrentInterval.TotalMilliseconds:F0} ms");

        Assert.Equal(0, result.WrongSource);
        Assert.Equal(0, result.FixedLost);
        Assert.True(result.FixedAnswered > 100, $"the fixed addresses were hardly probed: {result}");
        Assert.True(result.Unanswered.Count == 0, $"never answered during their 3 s: {string.Join(", ", result.Unanswered)}; {result}");
        Assert.Equal(0, portable.Refused);

        // The naive server, probed the same way, answers the new addresses from the fixed one: every IPv4 reply, and
        // most IPv6 ones (IPv6 source selection sometimes lands on the new address, which is luck, not a fix).
        Assert.True(result.NaiveWrongSource > 0 && result.NaiveRightSourceV4 == 0, $"naive server: {result}");

        // Every removed address's socket is closed: what is bound on the port is exactly the fixed addresses.
        Assert.True(SpinWait.SpinUntil(() => !portable.Set.Served.Any(a => IsChurned(a.ToIPAddress())), TimeSpan.FromSeconds(10)),
            $"still served: {string.Join(", ", portable.Set.Served)}");
        IPAddress[] bound = BoundAddresses(topology, portable.Port);
        Assert.DoesNotContain(bound, IsChurned);
        Assert.Equal(portable.Set.Served.Count, bound.Length);
    }

    /// <summary>The local addresses of the UDP sockets on <paramref name="port"/> in the host namespace, as ss lists them.</summary>
    internal static IPAddress[] BoundAddresses(FieldReportTopology topology, int port) =>
        [.. topology.Host.Exec("ss", ["-Huan", $"sport = :{port}"]).StandardOutput
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3])
            .Select(local => IPAddress.Parse(local[..local.LastIndexOf(':')].Trim('[', ']').Split('%')[0].Trim('[', ']')))];

    private static void Remove(FieldReportTopology topology, ChurnProber prober, int index)
    {
        IPAddress address = ChurnAddress(index);
        prober.Removing(index);
        topology.Host.Ip("addr", "del", $"{address}/{(address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)}", "dev", "eth0");
    }

    /// <summary>203.0.113.1–150 and 2001:db8:300::1–96 (hex), each used once.</summary>
    internal static IPAddress ChurnAddress(int index) => index % 2 == 0
        ? IPAddress.Parse($"203.0.113.{1 + (index / 2)}")
        : IPAddress.Parse($"2001:db8:300::{1 + (index / 2):x}");

    private static bool IsChurned(IPAddress address)
    {
        string text = address.ToString();
        return text.StartsWith("2001:db8:300::", StringComparison.Ordinal) || text.StartsWith("203.0.113.", StringComparison.Ordinal);
    }

    private static string[] Nodad(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6 ? ["nodad"] : [];
}
