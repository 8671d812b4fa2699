using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Rebound.Lab;
using Rebound.Shield.Tests.Support;
using Rebound.TestSupport.Shield;

namespace Rebound.Shield.Tests;

/// <summary>
/// IPv6 link-local with the same addresses on two links: a server namespace with links l1 and l2, both holding fe80::1
/// (and 2001:db8:1::1 resp. 2001:db8:2::1), each facing a client namespace whose only address is fe80::2. An unmodified
/// python3 server on [::] in a cgroup the test made. What works and what does not is exactly what docs/shield.md says.
/// </summary>
[Collection(ShieldTestGroup.Name)]
public sealed class LinkLocalTwoLinksTests
{
    private const int ClientPort = 40000;

    [BpfFact]
    public void Asking_the_link_local_address_works_on_both_links_and_the_shield_leaves_it_to_the_kernel()
    {
        using var net = TwoLinks.Create();
        using var cgroup = TestCgroup.Create();
        var (server, port) = PythonServers.StartIn(net.Server.Name, cgroup.Path, "naive6");
        using (server)
        {
            // Without the shield the kernel already answers a link-local peer from the link's link-local address.
            Assert.Equal("one", TwoLinks.Ask(net.Client1, "fe80::1", port, "one"));
            Assert.Equal("two", TwoLinks.Ask(net.Client2, "fe80::1", port, "two"));

            using var shield = CgroupShield.Attach(cgroup.Path);
            Assert.Equal("one", TwoLinks.Ask(net.Client1, "fe80::1", port, "one"));
            Assert.Equal("two", TwoLinks.Ask(net.Client2, "fe80::1", port, "two"));
            ShieldCounters counters = shield.ReadCounters();
            Assert.Equal(2, counters.LinkLocalLeftToKernel);
            Assert.Equal(0, counters.SourceSet);
        }
    }

    [BpfFact]
    public void A_link_local_peer_asking_a_global_address_is_fixed_on_each_link_in_turn()
    {
        using var net = TwoLinks.Create();
        using var cgroup = TestCgroup.Create();
        var (server, port) = PythonServers.StartIn(net.Server.Name, cgroup.Path, "naive6");
        using (server)
        {
            // The bug: the reply to fe80::2%l1 leaves from fe80::1, not the 2001:db8:1::1 the client asked.
            Assert.Null(TwoLinks.Ask(net.Client1, "2001:db8:1::1", port, "one"));
            Assert.Null(TwoLinks.Ask(net.Client2, "2001:db8:2::1", port, "two"));

            using var shield = CgroupShield.Attach(cgroup.Path);
            Assert.Equal("one", TwoLinks.Ask(net.Client1, "2001:db8:1::1", port, "one"));
            Assert.Equal("two", TwoLinks.Ask(net.Client2, "2001:db8:2::1", port, "two"));
            Assert.Equal("one", TwoLinks.Ask(net.Client1, "2001:db8:1::1", port, "one"));

            // Same peer address and port on both links: one map entry, rewritten by each request (counted).
            ShieldCounters counters = shield.ReadCounters();
            Assert.Equal(3, counters.SourceSet);
            Assert.Equal(2, counters.Replaced);
            Assert.Single(shield.ReadEntries(), e => e.Peer.Port == ClientPort);
        }
    }

    [BpfFact]
    public void Interleaved_requests_from_the_same_link_local_peer_and_port_on_two_links_collide_last_one_wins()
    {
        using var net = TwoLinks.Create();
        using var cgroup = TestCgroup.Create();

        // Reads two requests, then answers both: the entry holds the second one's address when the first is answered.
        const string pairServer = """
            import socket
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::", 0)); print(s.getsockname()[1], flush=True)
            while True:
                a = s.recvfrom(2048); b = s.recvfrom(2048)
                s.sendto(a[0], a[1]); s.sendto(b[0], b[1])
            """;
        using var server = CgroupProcess.Start(cgroup.Path, "ip", "netns", "exec", net.Server.Name, "python3", "-c", pairServer);
        int port = int.Parse(server.ReadLine(), CultureInfo.InvariantCulture);
        using var shield = CgroupShield.Attach(cgroup.Path);

        using Socket first = TwoLinks.Connect(net.Client1, "2001:db8:1::1", port);
        using Socket second = TwoLinks.Connect(net.Client2, "2001:db8:2::1", port);
        first.Send("one"u8);
        second.Send("two"u8);

        Assert.Null(TwoLinks.Receive(first));            // answered from 2001:db8:2::1, the other link's request
        Assert.Equal("two", TwoLinks.Receive(second));
        Assert.Equal(1, shield.ReadCounters().Replaced);
    }

    /// <summary>Three namespaces: the server with l1 and l2, a client behind each; link-local addresses set by hand only.</summary>
    private sealed class TwoLinks : IDisposable
    {
        private TwoLinks(NetworkNamespace server, NetworkNamespace client1, NetworkNamespace client2)
        {
            Server = server;
            Client1 = client1;
            Client2 = client2;
        }

        public NetworkNamespace Server { get; }

        public NetworkNamespace Client1 { get; }

        public NetworkNamespace Client2 { get; }

        public static TwoLinks Create()
        {
            var made = new List<NetworkNamespace>();
            try
            {
                NetworkNamespace server = Add(made, "llS");
                NetworkNamespace client1 = Add(made, "llA");
                NetworkNamespace client2 = Add(made, "llB");
                server.Ip("link", "set", "lo", "up");
                Link(server, "l1", client1, "2001:db8:1::");
                Link(server, "l2", client2, "2001:db8:2::");
                return new TwoLinks(server, client1, client2);
            }
            catch
            {
                made.ForEach(n => n.Dispose());
                throw;
            }
        }

        /// <summary>Sends <paramref name="text"/> from [fe80::2%c]:40000 on a connected socket; the reply, or null.</summary>
        public static string? Ask(NetworkNamespace client, string asked, int port, string text)
        {
            using Socket socket = Connect(client, asked, port);
            socket.Send(Encoding.ASCII.GetBytes(text));
            return Receive(socket);
        }

        public static Socket Connect(NetworkNamespace client, string asked, int port)
        {
            int scope = client.InterfaceIndex("c");
            var socket = client.Run(() => new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp));
            socket.ReceiveTimeout = 1000;
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(IPAddress.Parse($"fe80::2%{scope}"), ClientPort));
            IPAddress target = IPAddress.Parse(asked);
            if (target.IsIPv6LinkLocal)
            {
                target.ScopeId = scope;
            }

            socket.Connect(new IPEndPoint(target, port));
            return socket;
        }

        public static string? Receive(Socket socket)
        {
            byte[] buffer = new byte[2048];
            try
            {
                return Encoding.ASCII.GetString(buffer, 0, socket.Receive(buffer));
            }
            catch (SocketException)
            {
                return null;   // timed out, or refused: the reply came from an address the connected socket rejects
            }
        }

        public void Dispose()
        {
            Client2.Dispose();
            Client1.Dispose();
            Server.Dispose();
        }

        private static NetworkNamespace Add(List<NetworkNamespace> made, string role)
        {
            NetworkNamespace ns = NetworkNamespace.Create(role);
            made.Add(ns);
            return ns;
        }

        private static void Link(NetworkNamespace server, string name, NetworkNamespace client, string prefix)
        {
            server.Ip("link", "add", name, "type", "veth", "peer", "name", "c", "netns", client.Name);
            server.Ip("link", "set", name, "addrgenmode", "none");
            client.Ip("link", "set", "c", "addrgenmode", "none");
            server.Ip("link", "set", name, "up");
            client.Ip("link", "set", "c", "up");
            server.Ip("addr", "add", "fe80::1/64", "dev", name, "nodad");
            server.Ip("addr", "add", prefix + "1/64", "dev", name, "nodad");
            client.Ip("addr", "add", "fe80::2/64", "dev", "c", "nodad");
            client.Ip("-6", "route", "add", prefix + "/64", "dev", "c");
        }
    }
}
