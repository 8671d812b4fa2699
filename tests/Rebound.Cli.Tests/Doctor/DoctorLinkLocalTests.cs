using System.Net;
using System.Text.Json;
using Rebound.Cli.Lab;
using Rebound.Lab;
using Rebound.Cli.Tests.Support;

namespace Rebound.Cli.Tests.Doctor;

/// <summary>
/// A link with two link-local addresses (fe80::10 and a VRRPv3-style virtual fe80::11) and no global IPv6 address. A
/// naive IPv6-only server answers a neighbour that asked fe80::11 from fe80::10: doctor must ask each link-local address
/// on its own link from the other one, and say so, instead of calling the server REFUSED.
/// </summary>
public sealed class DoctorLinkLocalTests
{
    private static NetworkNamespace CreateLink()
    {
        NetworkNamespace ns = NetworkNamespace.Create("ll");
        try
        {
            ns.Ip("link", "add", "s1", "type", "veth", "peer", "name", "s1peer");
            // No kernel-made EUI-64 addresses: the link holds exactly the two we add.
            ns.Ip("link", "set", "s1", "addrgenmode", "none");
            ns.Ip("link", "set", "s1peer", "addrgenmode", "none");
            ns.Ip("link", "set", "s1", "up");
            ns.Ip("link", "set", "s1peer", "up");
            ns.Ip("addr", "add", "192.0.2.10/24", "dev", "s1");
            ns.Ip("addr", "add", "fe80::10/64", "dev", "s1", "nodad");
            ns.Ip("addr", "add", "fe80::11/64", "dev", "s1", "nodad");
            return ns;
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    private static JsonElement Doctor(NetworkNamespace ns, params string[] arguments)
    {
        (int exit, string json, string error) = CliProcess.Run("", ["doctor", "--netns", ns.Name, "--json", .. arguments]);
        Assert.True(json.Length > 0, $"exit {exit}: {error}");
        JsonElement report = JsonDocument.Parse(json).RootElement.Clone();
        Assert.Equal(report.GetProperty("wrongSourceProven").GetBoolean() ? 1 : 0, exit);
        return report;
    }

    private static JsonElement[] LinkLocalProbes(JsonElement report) =>
        [.. report.GetProperty("listeners")[0].GetProperty("probes").EnumerateArray()
            .Where(p => p.GetProperty("address").GetString()!.StartsWith("fe80::", StringComparison.Ordinal))];

    [NamespaceFact]
    public void A_naive_ipv6_only_server_is_proven_wrong_on_both_link_local_addresses()
    {
        using NetworkNamespace ns = CreateLink();
        using LabServer naive = ns.Run(() => LabServer.Start(ServerKind.Naive, new IPEndPoint(IPAddress.IPv6Any, 0), dualStack: false));

        JsonElement report = Doctor(ns, "-p", $"{naive.LocalEndPoint.Port}");

        JsonElement listener = report.GetProperty("listeners")[0];
        Assert.Equal("AT RISK", listener.GetProperty("verdict").GetString());
        JsonElement[] probes = LinkLocalProbes(report);
        Assert.Equal(2, probes.Length);
        foreach (JsonElement probe in probes)
        {
            // Each is asked from the other address of the link, and the naive reply comes from the asker's own address.
            string asked = probe.GetProperty("address").GetString()!;
            string other = asked.StartsWith("fe80::10", StringComparison.Ordinal) ? "fe80::11" : "fe80::10";
            Assert.Equal("s1", probe.GetProperty("interface").GetString());
            Assert.StartsWith(other, probe.GetProperty("source").GetString(), StringComparison.Ordinal);
            Assert.Equal("WRONG SOURCE", probe.GetProperty("verdict").GetString());
            Assert.StartsWith($"[{other}%", probe.GetProperty("repliedFrom").GetString(), StringComparison.Ordinal);
        }
    }

    [NamespaceFact]
    public void A_scoped_address_is_probed_on_that_link_and_a_rebound_server_is_ok_there()
    {
        using NetworkNamespace ns = CreateLink();
        using LabServer naive = ns.Run(() => LabServer.Start(ServerKind.Naive, new IPEndPoint(IPAddress.IPv6Any, 0), dualStack: false));
        using LabServer rebound = ns.Run(() => LabServer.Start(ServerKind.Rebound, new IPEndPoint(IPAddress.IPv6Any, 0)));

        // The interface name belongs to the inspected namespace; it does not exist in the caller's.
        JsonElement bad = Doctor(ns, "-a", "fe80::11%s1", "-p", $"{naive.LocalEndPoint.Port}");
        JsonElement probe = Assert.Single(bad.GetProperty("listeners")[0].GetProperty("probes").EnumerateArray());
        Assert.Equal("WRONG SOURCE", probe.GetProperty("verdict").GetString());
        Assert.StartsWith("[fe80::10%", probe.GetProperty("repliedFrom").GetString(), StringComparison.Ordinal);

        JsonElement good = Doctor(ns, "-p", $"{rebound.LocalEndPoint.Port}");
        Assert.Equal("OK", good.GetProperty("listeners")[0].GetProperty("verdict").GetString());
        Assert.Equal(2, LinkLocalProbes(good).Length);
        Assert.All(LinkLocalProbes(good), p => Assert.Equal("OK", p.GetProperty("verdict").GetString()));
    }

    [NamespaceFact]
    public void A_scope_that_names_no_interface_there_is_a_usage_error()
    {
        using NetworkNamespace ns = CreateLink();
        (int exit, _, string error) = CliProcess.Run("", "doctor", "--netns", ns.Name, "-a", "fe80::11%eth9", "-p", "9");
        Assert.Equal(2, exit);
        Assert.Contains("not an address of an interface 'eth9'", error, StringComparison.Ordinal);
    }
}
