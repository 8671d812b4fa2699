using System.Net;
using System.Net.Sockets;
using Rebound.Shield.Tests.Support;
using Rebound.TestSupport.Shield;

namespace Rebound.Shield.Tests;

/// <summary>
/// The shield attached to cgroups these tests make, around unmodified Python servers, on loopback: a client bound to
/// 127.0.0.1 asks 127.0.0.2, which a naive server on 0.0.0.0 answers from 127.0.0.1 — dropped by the client's
/// connected socket — until the shield is on. Every fix is shown failing first in the same setup.
/// </summary>
[Collection(ShieldTestGroup.Name)]
public class ShieldLoopbackTests
{
    [BpfTheory]
    [InlineData("naive4")]
    [InlineData("naive6")]
    public void A_naive_server_answers_from_the_asked_address_only_with_the_shield(string kind)
    {
        using var cgroup = TestCgroup.Create();
        var (server, port) = PythonServers.Start(cgroup.Path, kind);
        using (server)
        {
            Assert.Null(LoopbackClient.AskConnected("127.0.0.2", port));          // the bug, as reported

            using (var shield = CgroupShield.Attach(cgroup.Path))
            {
                Assert.Equal("hello", LoopbackClient.AskConnected("127.0.0.2", port));
                Assert.Equal("hello", LoopbackClient.AskConnected("127.0.0.1", port));   // asking the kernel's own choice still works

                var counters = shield.ReadCounters();
                Assert.Equal(2, counters.SourceSet);
                Assert.Equal(0, counters.Missed);
                Assert.Contains(shield.ReadEntries(), e => e.LocalAddress.Equals(IPAddress.Parse("127.0.0.2")) && e.LocalPort == port &&
                                                           e.Peer.Address.Equals(IPAddress.Loopback));
            }

            Assert.Null(LoopbackClient.AskConnected("127.0.0.2", port));          // detached: back to the kernel's choice
        }
    }

    [BpfFact]
    public void An_application_that_sets_its_own_source_is_left_alone()
    {
        using var cgroup = TestCgroup.Create();
        var (server, port) = PythonServers.Start(cgroup.Path, "pktinfo");
        using (server)
        using (var shield = CgroupShield.Attach(cgroup.Path))
        {
            var from = LoopbackClient.AskUnconnected("127.0.0.2", port);
            Assert.Equal(IPAddress.Parse("127.0.0.3"), from?.Address);             // its choice, not the asked address

            var counters = shield.ReadCounters();
            Assert.Equal(1, counters.ApplicationChose);
            Assert.Equal(0, counters.SourceSet);
        }
    }

    [BpfFact]
    public void Connected_sockets_never_reach_the_send_hook()
    {
        using var cgroup = TestCgroup.Create();
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        listener.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.5"), 0));
        listener.ReceiveTimeout = 5000;
        using var shield = CgroupShield.Attach(cgroup.Path);

        var (client, _) = PythonServers.Start(cgroup.Path, "connected", "127.0.0.5", ((IPEndPoint)listener.LocalEndPoint!).Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using (client)
        {
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            int n = listener.ReceiveFrom(new byte[64], ref from);
            Assert.Equal(14, n);
            listener.SendTo("reply"u8, from);                                      // recorded by ingress, but the client never sends unconnected

            var counters = shield.ReadCounters();
            Assert.Equal(0, counters.SourceSet + counters.Missed + counters.ApplicationChose);
        }
    }

    [BpfFact]
    public void Tcp_is_untouched()
    {
        using var cgroup = TestCgroup.Create();
        var (server, port) = PythonServers.Start(cgroup.Path, "tcp");
        using (server)
        using (var shield = CgroupShield.Attach(cgroup.Path))
        {
            using var tcp = new TcpClient(new IPEndPoint(IPAddress.Loopback, 0));
            tcp.Connect(IPAddress.Parse("127.0.0.2"), port);
            using var stream = tcp.GetStream();
            stream.Write("hello"u8);
            var buffer = new byte[16];
            Assert.Equal(5, stream.Read(buffer));

            Assert.Equal(new ShieldCounters(0, 0, 0, 0, 0, 0, 0), shield.ReadCounters());
            Assert.Empty(shield.ReadEntries());
        }
    }

    [BpfFact]
    public void A_shield_on_a_parent_cgroup_covers_its_children_and_two_shields_keep_their_own_maps()
    {
        using var parent = TestCgroup.Create();
        using var child = TestCgroup.Create(parent);
        using var other = TestCgroup.Create();
        var (nested, nestedPort) = PythonServers.Start(child.Path, "naive4");
        var (alone, alonePort) = PythonServers.Start(other.Path, "naive4");
        using (nested)
        using (alone)
        {
            Assert.Null(LoopbackClient.AskConnected("127.0.0.2", nestedPort));
            Assert.Null(LoopbackClient.AskConnected("127.0.0.3", alonePort));

            using var parentShield = CgroupShield.Attach(parent.Path);
            using var otherShield = CgroupShield.Attach(other.Path);
            Assert.Equal("hello", LoopbackClient.AskConnected("127.0.0.2", nestedPort));
            Assert.Equal("hello", LoopbackClient.AskConnected("127.0.0.3", alonePort));

            Assert.All(parentShield.ReadEntries(), e => Assert.Equal(nestedPort, e.LocalPort));
            Assert.All(otherShield.ReadEntries(), e => Assert.Equal(alonePort, e.LocalPort));
            Assert.NotEmpty(parentShield.ReadEntries());
            Assert.NotEmpty(otherShield.ReadEntries());
        }
    }

    [BpfTheory]
    [InlineData(4, false)]
    [InlineData(4096, true)]
    public void When_the_map_is_full_the_oldest_peer_is_evicted_and_its_reply_is_a_counted_miss(int capacity, bool answered)
    {
        const int others = 60;
        using var cgroup = TestCgroup.Create();
        var (server, port) = PythonServers.Start(cgroup.Path, "late", others.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using (server)
        using (var shield = CgroupShield.Attach(cgroup.Path, capacity))
        {
            using var first = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            first.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            first.Connect(IPAddress.Parse("127.0.0.2"), port);
            first.ReceiveTimeout = 3000;
            first.Send("first"u8);

            // Others ask the same address from fresh ports; the server answers the first peer only after all of them.
            for (int i = 0; i < others; i++)
            {
                using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                peer.SendTo("other"u8, new IPEndPoint(IPAddress.Parse("127.0.0.2"), port));
            }

            bool gotReply;
            try
            {
                gotReply = first.Receive(new byte[64]) == 5;
            }
            catch (SocketException)
            {
                gotReply = false;
            }

            Assert.Equal(answered, gotReply);
            var counters = shield.ReadCounters();
            Assert.Equal(others + 1, counters.Recorded);
            Assert.Equal(answered ? 0 : 1, counters.Missed);
            Assert.InRange(shield.CountEntries(), 1, capacity);
        }
    }

    [BpfFact]
    public void A_pinned_shield_outlives_its_handle_until_detached()
    {
        using var cgroup = TestCgroup.Create();
        var (server, port) = PythonServers.Start(cgroup.Path, "naive4");
        using (server)
        {
            using (var shield = CgroupShield.Attach(cgroup.Path))
            {
                shield.Pin();
                Assert.True(Directory.Exists(shield.PinDirectory));
            }

            Assert.Equal("hello", LoopbackClient.AskConnected("127.0.0.2", port));   // still attached after dispose

            using (var pinned = CgroupShield.OpenPinned(cgroup.Path))
            {
                Assert.NotNull(pinned);
                Assert.Equal(Cgroups.Id(cgroup.Path), pinned.CgroupId);
                Assert.Equal(1, pinned.ReadCounters().SourceSet);
                pinned.Detach();
                Assert.False(Directory.Exists(pinned.PinDirectory));
                // Nothing of ours stays in bpffs: the root goes with the last shield (others' shields may keep it).
                Assert.False(
                    Directory.Exists(CgroupShield.PinRoot) && !Directory.EnumerateFileSystemEntries(CgroupShield.PinRoot).Any(),
                    $"{CgroupShield.PinRoot} was left behind empty");
            }

            Assert.Null(CgroupShield.OpenPinned(cgroup.Path));
            Assert.Null(LoopbackClient.AskConnected("127.0.0.2", port));
        }
    }
}

/// <summary>Tests that attach shields run one at a time: they share bpffs and count on exact counter values.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ShieldTestGroup
{
    public const string Name = "shield";
}
