using System.Net;
using System.Net.Sockets;
using Rebound.Lab;

namespace Rebound.Cli.Tests.Hostile;

/// <summary>
/// Two namespaces, made for one test, in which every kind of reply failure a server meets can be provoked on demand:
/// a server host (eth0: 192.0.2.1/24, and 192.0.2.50/32, the address that vanishes) and a client host (192.0.2.2/24,
/// plus one address per refused reply, 203.0.113.10–13). On the server host the route back to each of those is what a
/// real network has: <c>prohibit</c> (sendmsg fails with EACCES), <c>unreachable</c> (EHOSTUNREACH), <c>blackhole</c>
/// (EINVAL), and a firewall OUTPUT drop (EPERM). Documentation addresses only; both namespaces are deleted on dispose.
/// </summary>
internal sealed class FaultHost : IDisposable
{
    public const int Port = 5300;
    public static readonly IPAddress Server = IPAddress.Parse("192.0.2.1");
    public static readonly IPAddress Vanishing = IPAddress.Parse("192.0.2.50");
    public static readonly IPAddress Legit = IPAddress.Parse("192.0.2.2");

    /// <summary>The refused replies: the client address, and what the server host's route or firewall does to it.</summary>
    public static readonly (IPAddress Client, string Setup)[] Refusals =
    [
        (IPAddress.Parse("203.0.113.10"), "prohibit route (EACCES)"),
        (IPAddress.Parse("203.0.113.11"), "unreachable route (EHOSTUNREACH)"),
        (IPAddress.Parse("203.0.113.12"), "blackhole route (EINVAL)"),
        (IPAddress.Parse("203.0.113.13"), "iptables OUTPUT DROP (EPERM)"),
    ];

    public FaultHost()
    {
        ServerHost = NetworkNamespace.Create("fsrv");
        try
        {
            ClientHost = NetworkNamespace.Create("fcli");
            ServerHost.Ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth1");
            ServerHost.Ip("link", "set", "eth1", "netns", ClientHost.Name);
            ServerHost.Ip("addr", "add", "192.0.2.1/24", "dev", "eth0");
            ServerHost.Ip("addr", "add", "192.0.2.50/32", "dev", "eth0");
            ServerHost.Ip("link", "set", "eth0", "up");
            ClientHost.Ip("addr", "add", "192.0.2.2/24", "dev", "eth1");
            foreach ((IPAddress client, _) in Refusals)
            {
                ClientHost.Ip("addr", "add", $"{client}/32", "dev", "eth1");
            }

            ClientHost.Ip("link", "set", "eth1", "up");

            // Requests from 203.0.113.0/24 must get in although no route leads back (no reverse-path filter).
            foreach (string dev in new[] { "all", "default", "eth0" })
            {
                ServerHost.WriteSysctl($"net/ipv4/conf/{dev}/rp_filter", "0");
            }

            ServerHost.Ip("route", "add", "prohibit", "203.0.113.10/32");
            ServerHost.Ip("route", "add", "unreachable", "203.0.113.11/32");
            ServerHost.Ip("route", "add", "blackhole", "203.0.113.12/32");
            ServerHost.Ip("route", "add", "203.0.113.13/32", "via", "192.0.2.2");
            ProcessResult firewall = ServerHost.Exec("iptables", ["-A", "OUTPUT", "-d", "203.0.113.13/32", "-p", "udp", "-j", "DROP"]);
            if (!firewall.Succeeded)
            {
                throw new InvalidOperationException($"iptables failed: {firewall.StandardError}");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public NetworkNamespace ServerHost { get; }

    public NetworkNamespace ClientHost { get; } = null!;

    /// <summary>What a plain sendto() from the server host to each refused client's address fails with: proof the faults are real.</summary>
    public IReadOnlyList<(IPAddress Client, SocketError Error)> ProbeRefusals() => ServerHost.Run(() =>
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var seen = new List<(IPAddress, SocketError)>();
        foreach ((IPAddress client, _) in Refusals)
        {
            try
            {
                probe.SendTo("probe"u8, new IPEndPoint(client, 9));
                seen.Add((client, SocketError.Success));
            }
            catch (SocketException e)
            {
                seen.Add((client, e.SocketErrorCode));
            }
        }

        return (IReadOnlyList<(IPAddress, SocketError)>)seen;
    });

    /// <summary>A client socket on the client host, bound to <paramref name="address"/>, sending to the server's port.</summary>
    public Socket Client(IPAddress address) => ClientHost.Run(() =>
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
        socket.Bind(new IPEndPoint(address, 0));
        return socket;
    });

    /// <summary>Receives the reply on <paramref name="client"/>; a timeout fails the test with <paramref name="missing"/>.</summary>
    public static (byte[] Buffer, int Length, IPEndPoint From) ReceiveReply(Socket client, string missing)
    {
        byte[] buffer = new byte[65536];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        try
        {
            int n = client.ReceiveFrom(buffer, ref from);
            return (buffer, n, (IPEndPoint)from);
        }
        catch (SocketException e)
        {
            throw new Xunit.Sdk.XunitException($"{missing} ({e.SocketErrorCode})");
        }
    }

    /// <summary>
    /// A counter of <c>/proc/PID/net/snmp</c> (the namespace of process <paramref name="pid"/>), e.g. ("Ip", "InDelivers")
    /// or ("Udp", "RcvbufErrors").
    /// </summary>
    public static long Snmp(int pid, string group, string name)
    {
        string[] lines = File.ReadAllLines($"/proc/{pid}/net/snmp");
        for (int i = 0; i + 1 < lines.Length; i++)
        {
            string[] names = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (names.Length > 0 && names[0] == group + ":" && lines[i + 1].StartsWith(group + ":", StringComparison.Ordinal))
            {
                string[] values = lines[i + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                int at = Array.IndexOf(names, name);
                if (at > 0)
                {
                    return long.Parse(values[at], System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }

        throw new InvalidOperationException($"/proc/{pid}/net/snmp has no {group} {name}");
    }

    /// <summary>Removes 192.0.2.50 from the server host: a reply that must leave from it now cannot.</summary>
    public void RemoveVanishingAddress() => ServerHost.Ip("addr", "del", "192.0.2.50/32", "dev", "eth0");

    public void Dispose()
    {
        ClientHost?.Dispose();
        ServerHost.Dispose();
    }
}
