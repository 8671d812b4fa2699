using System.Net;
using Rebound.Shield.Tests.Support;

namespace Rebound.Shield.Tests;

/// <summary>
/// BPF_PROG_TEST_RUN of the ingress program on synthetic frames: what it records, what it refuses to record, and that
/// it always lets the packet through (returns 1).
/// </summary>
public class IngressTestRunTests
{
    private static readonly IPEndPoint Client4 = IPEndPoint.Parse("192.0.2.3:40000");
    private static readonly IPEndPoint Server4 = IPEndPoint.Parse("198.51.100.13:56789");
    private static readonly IPEndPoint Client6 = IPEndPoint.Parse("[2001:db8:2::3]:40001");
    private static readonly IPEndPoint Server6 = IPEndPoint.Parse("[2001:db8:1::13]:56789");

    [BpfFact]
    public void Ipv4_unicast_records_peer_and_ports_to_the_local_address()
    {
        using var objects = ShieldObjects.Load(capacity: 16);
        Assert.Equal(1u, objects.Ingress.TestRun(Packets.Udp(Client4, Server4)));

        var entry = Assert.Single(Entries(objects));
        Assert.Equal(Client4, entry.Peer);
        Assert.Equal(56789, entry.LocalPort);
        Assert.Equal(Server4.Address, entry.LocalAddress);
        Assert.Equal(1, ShieldCounters.Read(objects.Counters).Recorded);
    }

    [BpfFact]
    public void Ipv6_unicast_records_the_native_address()
    {
        using var objects = ShieldObjects.Load(capacity: 16);
        Assert.Equal(1u, objects.Ingress.TestRun(Packets.Udp(Client6, Server6)));

        var entry = Assert.Single(Entries(objects));
        Assert.Equal(Client6, entry.Peer);
        Assert.Equal(Server6.Address, entry.LocalAddress);
        Assert.Equal(56789, entry.LocalPort);
    }

    [BpfFact]
    public void The_same_peer_asking_another_address_replaces_the_entry_and_is_counted()
    {
        using var objects = ShieldObjects.Load(capacity: 16);
        objects.Ingress.TestRun(Packets.Udp(Client4, Server4));
        objects.Ingress.TestRun(Packets.Udp(Client4, Server4));
        var other = IPEndPoint.Parse("203.0.113.7:56789");
        objects.Ingress.TestRun(Packets.Udp(Client4, other));

        var entry = Assert.Single(Entries(objects));
        Assert.Equal(other.Address, entry.LocalAddress);
        var counters = ShieldCounters.Read(objects.Counters);
        Assert.Equal(3, counters.Recorded);
        Assert.Equal(1, counters.Replaced);
    }

    public static TheoryData<string> Refused => new()
    {
        "broadcast frame", "limited broadcast address", "multicast frame", "ipv4 multicast address", "ipv6 multicast address",
        "ipv4 header longer than the packet", "truncated udp header", "truncated ipv6 udp header",
    };

    [BpfTheory]
    [MemberData(nameof(Refused))]
    public void Broadcast_multicast_and_truncated_datagrams_are_not_recorded(string kind)
    {
        byte[] frame = kind switch
        {
            "broadcast frame" => Packets.Udp(Client4, IPEndPoint.Parse("192.0.2.255:56789"), Packets.BroadcastMac),
            "limited broadcast address" => Packets.Udp(Client4, IPEndPoint.Parse("255.255.255.255:56789")),
            "multicast frame" => Packets.Udp(Client4, Server4, Packets.MulticastMac),
            "ipv4 multicast address" => Packets.Udp(Client4, IPEndPoint.Parse("224.0.0.251:5353")),
            "ipv6 multicast address" => Packets.Udp(Client6, IPEndPoint.Parse("[ff02::fb]:5353")),
            "ipv4 header longer than the packet" => WithHeaderLength(Packets.Udp(Client4, Server4, payloadLength: 0), 15),
            "truncated udp header" => Packets.Udp(Client4, Server4)[..(14 + 20 + 4)],
            _ => Packets.Udp(Client6, Server6)[..(14 + 40 + 4)],
        };

        using var objects = ShieldObjects.Load(capacity: 16);
        Assert.Equal(1u, objects.Ingress.TestRun(frame));

        Assert.Empty(Entries(objects));
        var counters = ShieldCounters.Read(objects.Counters);
        Assert.Equal(0, counters.Recorded);
        Assert.Equal(1, counters.NotRecorded);
    }

    [BpfTheory]
    [InlineData(6)]
    [InlineData(1)]
    public void Other_protocols_pass_untouched_and_uncounted(int protocol)
    {
        using var objects = ShieldObjects.Load(capacity: 16);
        Assert.Equal(1u, objects.Ingress.TestRun(Packets.Udp(Client4, Server4, protocol: protocol)));
        Assert.Equal(1u, objects.Ingress.TestRun(Packets.Udp(Client6, Server6, protocol: protocol)));

        Assert.Empty(Entries(objects));
        Assert.Equal(new ShieldCounters(0, 0, 0, 0, 0, 0, 0), ShieldCounters.Read(objects.Counters));
    }

    [BpfFact]
    public void A_full_map_evicts_old_peers_instead_of_refusing_new_ones()
    {
        using var objects = ShieldObjects.Load(capacity: 8);
        for (int port = 1; port <= 200; port++)
        {
            objects.Ingress.TestRun(Packets.Udp(new IPEndPoint(Client4.Address, port), Server4));
        }

        var entries = Entries(objects);
        Assert.InRange(entries.Count, 1, 8);
        Assert.Contains(entries, e => e.Peer.Port == 200);      // the newest is always there
        Assert.Equal(200, ShieldCounters.Read(objects.Counters).Recorded);
    }

    /// <summary>Claims an IPv4 header of <paramref name="words"/> × 4 bytes (options) that the frame does not have.</summary>
    private static byte[] WithHeaderLength(byte[] frame, int words)
    {
        frame[14] = (byte)(0x40 | words);
        return frame;
    }

    private static List<ShieldEntry> Entries(ShieldObjects objects)
    {
        var list = new List<ShieldEntry>();
        byte[] value = new byte[Programs.ShieldMapLayout.ValueSize];
        foreach (byte[] key in objects.Addresses.Keys())
        {
            Assert.True(objects.Addresses.TryLookup(key, value));
            list.Add(ShieldEntry.Decode(key, value));
        }

        return list;
    }
}
