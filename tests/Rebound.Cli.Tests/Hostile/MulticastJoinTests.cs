using System.Net;
using System.Net.Sockets;
using Rebound.Cli.Tests.Support;
using Rebound.Proxy;
using Xunit.Abstractions;
using static Rebound.Cli.Tests.Hostile.MulticastLan;

namespace Rebound.Cli.Tests.Hostile;

/// <summary>
/// Issue 11 item 6: <c>--join GROUP[%IF]</c> on <c>rebound proxy</c> and on the DNS sample. A group's datagrams reach a
/// wildcard socket only once it is joined (without the option nothing answers: the same setup, the old behaviour); with
/// it, an IPv4 group on a dual-stack <c>[::]</c> front and an IPv6 group are each answered exactly once (also with
/// several threads), from the arrival interface's address.
/// </summary>
public sealed class MulticastJoinTests(ITestOutputHelper output)
{
    [NamespaceFact]
    public async Task The_proxy_joins_IPv4_and_IPv6_groups_on_a_dual_stack_front_and_forwards_each_datagram_once()
    {
        using var lan = new MulticastLan();
        using AnsweringBackend backend = lan.Namespace.Run(() => new AnsweringBackend(new IPEndPoint(IPAddress.Loopback, 0)));
        (int v4, int v6, _, _) = await ThroughProxy(lan, backend, []);
        (int v4Joined, int v6Joined, IPAddress? v4Source, IPAddress? v6Source) = await ThroughProxy(
            lan, backend, [new MulticastGroup(V4Group, lan.InterfaceIndex), new MulticastGroup(V6Group, lan.InterfaceIndex)]);

        output.WriteLine($"proxy on [::], 2 threads: without a join {V4Group} → {v4} replies, {V6Group} → {v6}; " +
            $"joined: {v4Joined} from {v4Source}, {v6Joined} from {v6Source}; backend received {backend.Received}");
        Assert.Equal((0, 0), (v4, v6));
        Assert.Equal((1, 1), (v4Joined, v6Joined));
        Assert.Equal(IPAddress.Parse("192.0.2.1"), v4Source);
        Assert.Equal(IPAddress.Parse("2001:db8::1"), v6Source);
        Assert.Equal(2, backend.Received);
    }

    [NamespaceFact]
    public void The_proxy_command_joins_a_group_named_with_its_interface()
    {
        using var lan = new MulticastLan();
        using AnsweringBackend backend = lan.Namespace.Run(() => new AnsweringBackend(new IPEndPoint(IPAddress.Loopback, 0)));
        using ServerProcess proxy = ServerProcess.Cli(lan.Namespace.Name, "proxy", "-l", "[::]:5301", "--to", backend.EndPoint.ToString(), "--join", $"{V4Group}%lan0");
        proxy.WaitForError("Proxying");
        using Socket client = lan.Client(AddressFamily.InterNetwork);
        int replies = MulticastLan.CountReplies(client, new IPEndPoint(V4Group, 5301), null, out IPAddress? source);
        output.WriteLine($"rebound proxy -l [::]:5301 --join {V4Group}%lan0: {replies} reply from {source}");
        Assert.Equal(1, replies);
        Assert.Equal(IPAddress.Parse("192.0.2.1"), source);
    }

    [Theory]
    [InlineData("192.0.2.1", "[::]:0", "not a multicast address")]
    [InlineData("233.252.0.1%nosuchif0", "[::]:0", "no network interface 'nosuchif0'")]
    [InlineData("233.252.0.1", "127.0.0.1:0", "no --listen address can receive it")]
    [InlineData("ff12::db8:1", "0.0.0.0:0", "no --listen address can receive it")]
    public void A_group_the_proxy_cannot_join_is_a_usage_error(string group, string listen, string why)
    {
        (int exit, _, string error) = CliProcess.Run("", "proxy", "-l", listen, "--to", "127.0.0.1:53", "--join", group);
        Assert.Equal(2, exit);
        Assert.Contains(why, error, StringComparison.Ordinal);
    }

    [NamespaceFact]
    public void The_dns_sample_joins_a_group_in_both_serving_modes_and_answers_each_query_once()
    {
        using var lan = new MulticastLan();
        var results = new List<string>();
        foreach (string[] mode in new[] { Array.Empty<string>(), ["--threads", "0"] })
        {
            int without = DnsReplies(lan, 5302, mode, join: false, out _);
            int joined = DnsReplies(lan, 5302, mode, join: true, out IPAddress? source);
            results.Add($"{(mode.Length == 0 ? "batched" : "--threads 0")}: without --join {without}, with {joined} from {source}");
            Assert.Equal(0, without);
            Assert.Equal(1, joined);
            Assert.Equal(IPAddress.Parse("192.0.2.1"), source);
        }

        output.WriteLine($"DnsResponder -l [::]:5302, a query to {V4Group}: " + string.Join("; ", results));
    }

    [Fact]
    public void The_naive_dns_sample_refuses_to_join()
    {
        using ServerProcess naive = DnsQueries.StartResponder(null, "-l", "127.0.0.1:0", "--naive", "--join", "233.252.0.1");
        Assert.Equal(2, naive.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains("--naive does not join groups", naive.Error, StringComparison.Ordinal);
    }

    private static async Task<(int V4, int V6, IPAddress? V4Source, IPAddress? V6Source)> ThroughProxy(
        MulticastLan lan, AnsweringBackend backend, IReadOnlyList<MulticastGroup> groups)
    {
        await using UdpProxy proxy = lan.Namespace.Run(() =>
        {
            var p = new UdpProxy(new ProxyOptions { Listen = [new IPEndPoint(IPAddress.IPv6Any, 0)], Backends = [backend.EndPoint], Threads = 2, MulticastGroups = groups });
            p.Start();
            return p;
        });
        int port = proxy.ListenEndPoints[0].Port;
        using Socket v4 = lan.Client(AddressFamily.InterNetwork);
        using Socket v6 = lan.Client(AddressFamily.InterNetworkV6);
        int v4Replies = MulticastLan.CountReplies(v4, new IPEndPoint(V4Group, port), null, out IPAddress? v4Source);
        int v6Replies = MulticastLan.CountReplies(v6, new IPEndPoint(V6Group, port), null, out IPAddress? v6Source);
        return (v4Replies, v6Replies, v4Source, v6Source);
    }

    private static int DnsReplies(MulticastLan lan, int port, string[] mode, bool join, out IPAddress? source)
    {
        string[] joinArguments = join ? ["--join", $"{V4Group}%lan0"] : [];
        using ServerProcess dns = DnsQueries.StartResponder(lan.Namespace.Name, ["-l", $"[::]:{port}", .. mode, .. joinArguments]);
        dns.WaitForError("listening on");
        using Socket client = lan.Client(AddressFamily.InterNetwork);
        int replies = MulticastLan.CountReplies(client, new IPEndPoint(V4Group, port), DnsQueries.HostA(0x4444), out source);
        dns.Signal("TERM");
        Assert.Equal(0, dns.WaitForExit(TimeSpan.FromSeconds(30)));
        return replies;
    }
}
