using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Rebound.Lab;
using Rebound.Cli.Tests.Support;
using Rebound.Cli.Tests.Output;

namespace Rebound.Cli.Tests.Doctor;

/// <summary>What doctor says about what it did not do: ports past the probe cap, IPv6 under --no-probe, and a table
/// piped to a file that must keep every endpoint whole.</summary>
public sealed class DoctorReportingTests
{
    [NamespaceFact]
    public void Ports_past_the_probe_cap_are_not_probed_rather_than_refused()
    {
        using NetworkNamespace ns = NetworkNamespace.Create("cap");
        ns.Ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth1");
        ns.Ip("link", "set", "eth0", "up");
        foreach (string address in (string[])["192.0.2.10/24", "192.0.2.11/24", "192.0.2.12/24"])
        {
            ns.Ip("addr", "add", address, "dev", "eth0");
        }

        // 200 ports × 3 addresses = 600 probes; nothing listens, so every probe sent is refused at once.
        string[] ports = [.. Enumerable.Range(40001, 200).Select(p => p.ToString(CultureInfo.InvariantCulture))];
        (int exit, string json, string error) = CliProcess.Run("", ["doctor", "--netns", ns.Name, "--json", "--timeout", "2", "-p", .. ports]);

        Assert.True(exit == 0, $"exit {exit}: {error}");
        JsonElement[] listeners = [.. JsonSchemaAssert.Valid("doctor", json).GetProperty("listeners").EnumerateArray()];
        Assert.Equal(200, listeners.Length);
        int probed = listeners.Sum(l => l.GetProperty("probes").GetArrayLength());
        Assert.Equal(512, probed);
        foreach (JsonElement listener in listeners)
        {
            int count = listener.GetProperty("probes").GetArrayLength();
            string verdict = listener.GetProperty("verdict").GetString()!;
            Assert.Equal(count == 0 ? "not-probed" : "refused", verdict);
        }

        Assert.Contains("cap of 512 probes", listeners[^1].GetProperty("explanation").GetString(), StringComparison.Ordinal);
    }

    [NamespaceFact]
    public void No_probe_does_not_claim_ipv6_was_not_probed_and_a_piped_table_keeps_endpoints_whole()
    {
        // IPv4 only (IPv6 has just ::1): the old note said "IPv6 was not probed" although nothing was.
        using NetworkNamespace ns = NetworkNamespace.Create("tbl");
        ns.Ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth1");
        ns.Ip("link", "set", "eth0", "up");
        ns.Ip("link", "set", "eth1", "up");
        ns.Ip("addr", "add", "192.0.2.10/24", "dev", "eth0");
        ns.Ip("addr", "add", "192.0.2.11/24", "dev", "eth0");
        // A dual-stack client socket: its endpoints print as long IPv4-mapped addresses, which 80 columns used to split.
        using Socket client = ns.Run(() =>
        {
            var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
            socket.Bind(new IPEndPoint(IPAddress.Parse("::ffff:192.0.2.10"), 0));
            socket.Connect(new IPEndPoint(IPAddress.Parse("::ffff:192.0.2.11"), 54321));
            return socket;
        });
        // The table writes the endpoints as JSON does (docs/output.md): the v4-mapped socket's as the IPv4 they are.
        string local = EndpointText.Format((IPEndPoint)client.LocalEndPoint!);

        (int exit, string table, string error) = CliProcess.Run("", "doctor", "--netns", ns.Name, "--no-probe");

        Assert.True(exit == 0, $"exit {exit}: {error}");
        Assert.Contains(local, table, StringComparison.Ordinal);
        Assert.Contains("192.0.2.11:54321", table, StringComparison.Ordinal);
        Assert.DoesNotContain("::ffff:", table, StringComparison.Ordinal);
        Assert.DoesNotContain("not probed", table, StringComparison.Ordinal);
    }
}
