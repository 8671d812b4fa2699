using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Rebound.Lab;
using Rebound.PerAddress;

namespace Rebound.Tests.PerAddress;

/// <summary>
/// 200 addresses on the host's eth0 (120 IPv4 there before the server starts, 80 IPv6 added while it runs): the
/// per-address set holds a socket for each and answers every one from itself; a naive server answers them from eth0's
/// first address.
/// </summary>
public sealed class ManyAddressesTests
{
    [NamespaceFact]
    public void Two_hundred_addresses_on_one_interface_are_each_answered_from_themselves()
    {
        using var topology = FieldReportTopology.Create();
        IPAddress[] v4 = [.. Enumerable.Range(0, 120).Select(i => IPAddress.Parse($"198.51.100.{100 + i}"))];
        IPAddress[] v6 = [.. Enumerable.Range(0, 80).Select(i => IPAddress.Parse($"2001:db8:100::2:{i:x}"))];
        AddAll(topology.Host, v4, "/32");

        using PerAddressEcho portable = PerAddressEcho.Start(topology.Host, "::");
        using LabServer naive = topology.Host.Run(() => LabServer.Start(ServerKind.Naive, new IPEndPoint(IPAddress.IPv6Any, 0), dualStack: true));
        AddAll(topology.Host, v6, "/128 nodad");
        IPAddress[] all = [.. v4, .. v6];
        Assert.True(SpinWait.SpinUntil(() => portable.Serves(all), TimeSpan.FromSeconds(20)),
            $"serves {portable.Set.Served.Count} addresses; unserved: {string.Join(", ", portable.Set.Unserved)}");

        using Socket client4 = topology.Lan.Run(() => Probe.Client(AddressFamily.InterNetwork));
        using Socket client6 = topology.Lan.Run(() => Probe.Client(AddressFamily.InterNetworkV6));
        int right = 0, naiveRight = 0, naiveWrong = 0;
        var missing = new List<IPAddress>();
        foreach (IPAddress address in all)
        {
            Socket client = address.AddressFamily == AddressFamily.InterNetwork ? client4 : client6;
            var asked = new IPEndPoint(address, portable.Port);
            var reply = Probe.Ask(client, asked, $"to {address}") ?? Probe.Ask(client, asked, $"again {address}");
            if (reply is { } r && Probe.FromAsked(r.From, asked))
            {
                right++;
            }
            else
            {
                missing.Add(address);
            }

            var naiveAsked = new IPEndPoint(address, naive.LocalEndPoint.Port);
            if (Probe.Ask(client, naiveAsked, $"naive {address}", timeoutMs: 500) is { } n)
            {
                if (Probe.FromAsked(n.From, naiveAsked))
                {
                    naiveRight++;
                }
                else
                {
                    naiveWrong++;
                }
            }
        }

        Assert.True(missing.Count == 0, $"not answered from themselves: {string.Join(", ", missing)}");
        Assert.Equal(200, right);
        Assert.True(naiveWrong >= v4.Length, $"naive server: {naiveWrong} wrong-source, {naiveRight} right-source replies");

        // One socket per address, and no other: ss sees exactly what the set says it serves.
        Assert.Equal(portable.Set.Served.Count, AddressChurnTests.BoundAddresses(topology, portable.Port).Length);

        var clock = Stopwatch.StartNew();
        int scans = topology.Host.Run(() =>
        {
            for (int i = 0; i < 20; i++)
            {
                LocalAddresses.Read(LocalAddresses.Families.Both);
            }

            return 20;
        });
        Console.WriteLine($"200 addresses: {right} answered from themselves; naive {naiveWrong} wrong / {naiveRight} right; " +
                          $"one address scan with {portable.Set.Served.Count} addresses: {clock.Elapsed.TotalMilliseconds / scans:F2} ms");
    }

    private static void AddAll(NetworkNamespace ns, IEnumerable<IPAddress> addresses, string suffix)
    {
        string script = string.Join('\n', addresses.Select(a => $"addr add {a}{suffix} dev eth0")) + "\n";
        ProcessResult result = ProcessRunner.Run("ip", ["-n", ns.Name, "-batch", "-"], TimeSpan.FromSeconds(30), script);
        Assert.True(result.ExitCode == 0, $"ip -batch failed: {result.StandardError}");
    }
}
