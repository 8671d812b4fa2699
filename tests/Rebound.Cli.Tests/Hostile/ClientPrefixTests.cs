using System.Net;
using System.Net.Sockets;
using Rebound.Lab;
using Rebound.Proxy;
using Xunit.Abstractions;
using static Rebound.TestSupport.UdpClients;

namespace Rebound.Cli.Tests.Hostile;

/// <summary>
/// Issue 11 item 12: the per-client flow limit can count an IPv6 prefix (a /64: one host, which may use any of its
/// addresses) as one client. Per address (the default, and the only behaviour before), one host with a /64 opens
/// flows without bound by changing its source address; with <see cref="FlowLimits.ClientPrefixLengthV6"/> = 64 it is
/// held to the limit, and a host in another /64 is not affected. (The flow table's counting itself is tested in
/// tests/Rebound.Proxy.Tests/ClientPrefixTests.)
/// </summary>
public sealed class ClientPrefixTests(ITestOutputHelper output)
{
    [NamespaceFact]
    public async Task A_host_changing_addresses_within_its_64_is_one_client_with_a_64_prefix_and_unbounded_without()
    {
        using NetworkNamespace ns = NetworkNamespace.Create("pfx");
        string[] sameHost = ["2001:db8:0:1::10", "2001:db8:0:1::11", "2001:db8:0:1::12", "2001:db8:0:1::13"];
        foreach (string address in sameHost.Append("2001:db8:0:2::10"))
        {
            ns.Ip("addr", "add", $"{address}/128", "dev", "lo", "nodad");
        }

        using AnsweringBackend backend = ns.Run(() => new AnsweringBackend(new IPEndPoint(IPAddress.IPv6Loopback, 0)));
        int perAddress = await Admitted(ns, backend, 128, sameHost);
        int perPrefix = await Admitted(ns, backend, 64, sameHost);
        int otherHost = await Admitted(ns, backend, 64, [.. sameHost, "2001:db8:0:2::10"]) - perPrefix;
        output.WriteLine($"max 2 flows per client, one host sending from 4 addresses of 2001:db8:0:1::/64: " +
            $"per address (/128) {perAddress} flows admitted, per /64 {perPrefix}; a host in another /64 then: {otherHost} more");
        Assert.Equal(4, perAddress);
        Assert.Equal(2, perPrefix);
        Assert.Equal(1, otherHost);
    }

    /// <summary>Starts a proxy with a per-client limit of 2 and the prefix; one client per source address; returns how many got a reply.</summary>
    private static async Task<int> Admitted(NetworkNamespace ns, AnsweringBackend backend, int prefix, IEnumerable<string> sources)
    {
        await using UdpProxy proxy = ns.Run(() =>
        {
            var p = new UdpProxy(new ProxyOptions
            {
                Listen = [new IPEndPoint(IPAddress.IPv6Any, 0)],
                Backends = [backend.EndPoint],
                Limits = new FlowLimits { MaxFlowsPerClient = 2, ClientPrefixLengthV6 = prefix },
            });
            p.Start();
            return p;
        });
        var front = new IPEndPoint(IPAddress.IPv6Loopback, proxy.ListenEndPoints[0].Port);
        int decided = 0;
        foreach (string source in sources)
        {
            using Socket client = ns.Run(() => Connect(front, new IPEndPoint(IPAddress.Parse(source), 0)));
            long created = proxy.Statistics.FlowsCreated;
            client.Send("hi"u8);
            decided++;
            Assert.True(Rebound.Cli.Tests.Proxy.ProxyTestHelpers.WaitUntil(
                () => proxy.Statistics.FlowsCreated + proxy.Statistics.RefusedClientLimit == decided, TimeSpan.FromSeconds(10)), "the proxy neither opened nor refused the flow");
            if (proxy.Statistics.FlowsCreated > created)
            {
                client.ReceiveTimeout = 5000;
                Assert.Equal(2, client.Receive(new byte[16])); // an admitted flow is answered
            }
        }

        int answered = (int)proxy.Statistics.FlowsCreated;
        return answered;
    }
}
