using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Rebound.Cli.Doctor;
using Rebound.Cli.Infrastructure;
using Rebound.Lab;
using Rebound.Cli.Tests.Support;
using Rebound.Cli.Lab;

namespace Rebound.Cli.Tests.Doctor;

/// <summary>
/// Doctor pointed at another network namespace (--netns, --pid) holding several documentation addresses in both
/// families: it must find the listeners there, probe every address, and tell the naive server from the fixed ones —
/// including a real third-party server, dnsmasq, which answers from the address asked.
/// </summary>
public sealed class DoctorNamespaceTests
{
    private static readonly string[] Addresses = ["192.0.2.10", "198.51.100.10", "2001:db8::10", "2001:db8:1::10"];

    private static NetworkNamespace CreateHost()
    {
        NetworkNamespace ns = NetworkNamespace.Create("doc");
        try
        {
            ns.Ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth1");
            ns.Ip("link", "set", "eth0", "up");
            ns.Ip("link", "set", "eth1", "up");
            foreach (string address in Addresses)
            {
                ns.Ip("addr", "add", address.Contains(':', StringComparison.Ordinal) ? $"{address}/64" : $"{address}/24", "dev", "eth0", "nodad");
            }

            return ns;
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    private static JsonElement Listener(JsonElement report, int port) =>
        report.GetProperty("listeners").EnumerateArray().Single(l => l.GetProperty("port").GetInt32() == port);

    private static Dictionary<string, (string Verdict, string Source, string? From)> Probes(JsonElement listener) =>
        listener.GetProperty("probes").EnumerateArray().ToDictionary(
            p => p.GetProperty("address").GetString()!,
            p => (p.GetProperty("verdict").GetString()!, p.GetProperty("source").GetString()!,
                  p.TryGetProperty("repliedFrom", out JsonElement f) ? f.GetString() : null));

    [NamespaceFact]
    public void Netns_finds_listeners_and_proves_naive_wrong_on_every_address()
    {
        using NetworkNamespace ns = CreateHost();
        using LabServer naive = ns.Run(() => LabServer.Start(ServerKind.Naive, new IPEndPoint(IPAddress.IPv6Any, 0)));
        using LabServer rebound = ns.Run(() => LabServer.Start(ServerKind.Rebound, new IPEndPoint(IPAddress.IPv6Any, 0)));

        // No --port: the listeners come from the namespace's own /proc tables.
        (int exit, string json, string error) = CliProcess.Run("", "doctor", "--netns", ns.Name, "--json");

        Assert.True(exit == 1, $"exit {exit}: {error}");
        JsonElement report = JsonDocument.Parse(json).RootElement;
        Assert.True(report.GetProperty("wrongSourceProven").GetBoolean());

        JsonElement bad = Listener(report, naive.LocalEndPoint.Port);
        Assert.Equal("AT RISK", bad.GetProperty("verdict").GetString());
        Assert.Equal(Environment.ProcessId, bad.GetProperty("processes")[0].GetProperty("pid").GetInt32());
        var badProbes = Probes(bad);
        Assert.Equal(Addresses.Order(), badProbes.Keys.Order());
        foreach (string address in Addresses)
        {
            // The naive reply leaves from the probe's own address: 127.0.0.1, or the other IPv6 address.
            (string verdict, string source, string? from) = badProbes[address];
            Assert.Equal("WRONG SOURCE", verdict);
            Assert.Equal(address.Contains(':', StringComparison.Ordinal) ? Addresses.Single(a => a.Contains(':', StringComparison.Ordinal) && a != address) : "127.0.0.1", source);
            Assert.Equal(new IPEndPoint(IPAddress.Parse(source), naive.LocalEndPoint.Port).ToString(), from);
        }

        var goodProbes = Probes(Listener(report, rebound.LocalEndPoint.Port));
        Assert.Equal(Addresses.Order(), goodProbes.Keys.Order());
        Assert.All(goodProbes.Values, p => Assert.Equal("OK", p.Verdict));
    }

    [NamespaceFact]
    public void Inventory_inside_a_namespace_reads_thread_self_not_self()
    {
        using NetworkNamespace ns = CreateHost();
        using Socket inside = ns.Run(() =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Any, 0));
            return socket;
        });
        var local = (IPEndPoint)inside.LocalEndPoint!;

        (List<InventoryEntry> threadSelf, string self) = ns.Run(() => (UdpInventory.Read(), File.ReadAllText("/proc/self/net/udp")));

        Assert.Contains(threadSelf, e => e.Socket.Local.Equals(local) && e.Exposure == SocketExposure.Wildcard);
        // /proc/self/net follows the process's main thread, which never left the original namespace.
        Assert.DoesNotContain(ProcNetUdpParser.Parse(self), e => e.Local.Equals(local) && e.Inode == threadSelf.First(t => t.Socket.Local.Equals(local)).Socket.Inode);
    }

    [NamespaceFact]
    public async Task Tentative_ipv6_addresses_give_inconclusive_rows_not_a_crash_or_a_verdict()
    {
        using NetworkNamespace ns = NetworkNamespace.Create("doc");
        ns.Ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth1");
        // Duplicate address detection on, slow: both IPv6 addresses stay tentative (unusable as a source) for ~20 s.
        ns.WriteSysctl("net/ipv6/conf/eth0/accept_dad", "1");
        ns.WriteSysctl("net/ipv6/conf/eth0/dad_transmits", "20");
        ns.Ip("link", "set", "eth0", "up");
        ns.Ip("link", "set", "eth1", "up");
        ns.Ip("addr", "add", "192.0.2.10/24", "dev", "eth0");
        ns.Ip("addr", "add", "2001:db8::10/64", "dev", "eth0");
        ns.Ip("addr", "add", "2001:db8:1::10/64", "dev", "eth0");
        Assert.Contains("tentative", ns.Ip("-6", "addr", "show", "dev", "eth0"), StringComparison.Ordinal);
        using LabServer rebound = ns.Run(() => LabServer.Start(ServerKind.Rebound, new IPEndPoint(IPAddress.IPv6Any, 0)));

        var options = new DoctorOptions($"/run/netns/{ns.Name}", ns.Name, [rebound.LocalEndPoint.Port], [], null, TimeSpan.FromMilliseconds(500));
        DoctorReport report = await DoctorRun.RunAsync(options, CancellationToken.None);

        ListenerReport listener = Assert.Single(report.Listeners);
        Assert.Equal(ProbeVerdict.Ok, listener.Probes.Single(p => p.Target.Address.Equals(IPAddress.Parse("192.0.2.10"))).Verdict);
        List<ProbeResult> v6 = listener.Probes.Where(p => p.Target.Address.AddressFamily == AddressFamily.InterNetworkV6).ToList();
        Assert.Equal(2, v6.Count);
        Assert.All(v6, p => Assert.Contains(p.Verdict, new[] { ProbeVerdict.Error, ProbeVerdict.NoReply }));
        Assert.Equal(ListenerVerdict.Inconclusive, listener.Verdict);
    }

    [NamespaceFact("dnsmasq", "dig")]
    public void Dnsmasq_is_ok_by_pid_and_real_dig_agrees_with_both_verdicts()
    {
        using NetworkNamespace ns = CreateHost();
        using LabServer naive = ns.Run(() => LabServer.Start(ServerKind.Naive, new IPEndPoint(IPAddress.IPv6Any, 0)));
        using Process dnsmasq = StartDnsmasq(ns);
        try
        {
            (int exit, string json, string error) = CliProcess.Run(
                "", "doctor", "--pid", $"{dnsmasq.Id}", "--port", "53", "--port", $"{naive.LocalEndPoint.Port}", "--json");

            Assert.True(exit == 1, $"exit {exit}: {error}");
            JsonElement report = JsonDocument.Parse(json).RootElement;
            JsonElement dns = Listener(report, 53);
            Assert.Equal("OK", dns.GetProperty("verdict").GetString());
            Assert.Equal("dns", dns.GetProperty("protocol").GetString());
            Assert.All(Probes(dns).Values, p => Assert.Equal("OK", p.Verdict));
            Assert.Equal(Addresses.Length, Probes(dns).Count);
            Assert.Contains(report.GetProperty("sockets").EnumerateArray(), s =>
                s.GetProperty("local").GetString() == "0.0.0.0:53" &&
                s.GetProperty("processes")[0].GetProperty("pid").GetInt32() == dnsmasq.Id);
            Assert.Equal("AT RISK", Listener(report, naive.LocalEndPoint.Port).GetProperty("verdict").GetString());

            // A real connected client from the probe's position sees the same: dig gets dnsmasq's answer, and nothing
            // from the naive server (whose echo of the query comes back from 127.0.0.1).
            ProcessResult good = ns.Exec("dig", ["+short", "+time=1", "+tries=1", "-b", "127.0.0.1", "@192.0.2.10", "probe.test"]);
            Assert.Equal("192.0.2.53", good.StandardOutput.Trim());
            ProcessResult bad = ns.Exec("dig", ["+time=1", "+tries=1", "-b", "127.0.0.1", "-p", $"{naive.LocalEndPoint.Port}", "@192.0.2.10", "probe.test"]);
            Assert.Contains("timed out", bad.StandardOutput + bad.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            dnsmasq.Kill();
            dnsmasq.WaitForExit(5000);
        }
    }

    private static Process StartDnsmasq(NetworkNamespace ns)
    {
        var start = new ProcessStartInfo("ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[]
        {
            "netns", "exec", ns.Name, "dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
            "--pid-file", "--user=root", "--port=53", "--host-record=probe.test,192.0.2.53", "--log-facility=-",
        })
        {
            start.ArgumentList.Add(argument);
        }

        Process process = Process.Start(start)!;
        // dnsmasq logs "started" once its sockets are bound.
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            string? line = process.StandardError.ReadLine();
            if (line is null)
            {
                throw new InvalidOperationException($"dnsmasq exited: {process.StandardOutput.ReadToEnd()}");
            }

            if (line.Contains("started", StringComparison.Ordinal))
            {
                _ = process.StandardError.ReadToEndAsync();
                return process;
            }
        }

        process.Kill();
        throw new TimeoutException("dnsmasq did not start");
    }
}
