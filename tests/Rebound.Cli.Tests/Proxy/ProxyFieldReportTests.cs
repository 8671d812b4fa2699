using System.Net;
using System.Net.Sockets;
using Rebound.Cli.Lab;
using Rebound.Lab;
using Rebound.Proxy;
using Rebound.Cli.Tests.Support;
using static Rebound.Cli.Tests.Proxy.ProxyTestHelpers;
using static Rebound.TestSupport.UdpClients;

namespace Rebound.Cli.Tests.Proxy;

/// <summary>
/// The field report's setup in network namespaces: a naive UDP service on the Docker host that cannot be changed, and a
/// client in the container asking the host's eth0 address. Without the proxy the reply leaves from docker0's address and
/// the client drops it; through the proxy (in the host, forwarding to the service on 127.0.0.1) it arrives.
/// </summary>
public sealed class ProxyFieldReportTests
{
    private const int ProxyPort = 6088;

    private sealed class Setup : IAsyncDisposable
    {
        public Setup()
        {
            Topology = FieldReportTopology.Create();
            try
            {
                Service = Topology.Host.Run(() => new NaiveUdpEcho(new IPEndPoint(IPAddress.Any, 16088)));
                Proxy = Topology.Host.Run(() =>
                {
                    var proxy = new UdpProxy(new ProxyOptions
                    {
                        Listen = [new IPEndPoint(IPAddress.IPv6Any, ProxyPort)],
                        Backends = [new IPEndPoint(IPAddress.Loopback, 16088)],
                    });
                    proxy.Start();
                    return proxy;
                });
            }
            catch
            {
                Service?.Dispose();
                Topology.Dispose();
                throw;
            }
        }

        public FieldReportTopology Topology { get; }

        public NaiveUdpEcho Service { get; }

        public UdpProxy Proxy { get; }

        public Socket ContainerClient(IPAddress hostAddress, int port) =>
            Topology.Container.Run(() => Connect(new IPEndPoint(hostAddress, port)));

        public async ValueTask DisposeAsync()
        {
            await Proxy.DisposeAsync();
            Service.Dispose();
            Topology.Dispose();
        }
    }

    [NamespaceFact]
    public async Task Container_client_is_answered_through_the_proxy_but_not_by_the_naive_service_directly()
    {
        await using var setup = new Setup();
        foreach (IPAddress eth0 in new[] { FieldReportTopology.HostEth0V4, FieldReportTopology.HostEth0V6 })
        {
            using Socket direct = setup.ContainerClient(eth0, setup.Service.Port);
            Assert.Null(Exchange(direct, "direct"));

            using Socket proxied = setup.ContainerClient(eth0, ProxyPort);
            Assert.Equal($"via proxy {eth0}", Exchange(proxied, $"via proxy {eth0}", Answer));
        }

        Assert.Equal(2, setup.Proxy.Statistics.FlowsCreated);
    }

    [NamespaceFact]
    public async Task Container_client_reaching_eth0_and_docker0_addresses_gets_each_reply_from_the_address_it_asked()
    {
        await using var setup = new Setup();
        using Socket client = setup.Topology.Container.Run(() =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Any, 0));
            return socket;
        });
        client.ReceiveTimeout = 2000;
        client.SendTo("eth0"u8, new IPEndPoint(FieldReportTopology.HostEth0V4, ProxyPort));
        client.SendTo("docker0"u8, new IPEndPoint(FieldReportTopology.BridgeV4, ProxyPort));

        var sources = new Dictionary<string, IPAddress>();
        byte[] buffer = new byte[64];
        for (int i = 0; i < 2; i++)
        {
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            int n = client.ReceiveFrom(buffer, ref from);
            sources[System.Text.Encoding.ASCII.GetString(buffer, 0, n)] = ((IPEndPoint)from).Address;
        }

        Assert.Equal(FieldReportTopology.HostEth0V4, sources["eth0"]);
        Assert.Equal(FieldReportTopology.BridgeV4, sources["docker0"]);
        Assert.Equal(2, setup.Proxy.Statistics.ActiveFlows);
    }

    [NamespaceFact]
    public async Task Container_client_asking_the_bridge_link_local_address_is_answered_from_it()
    {
        // Link-local addresses are per interface: flow key and reply keep the scope (the client's connected socket checks the source).
        await using var setup = new Setup();
        IPAddress bridge = setup.Topology.BridgeLinkLocalFromContainer;
        using Socket client = setup.ContainerClient(bridge, ProxyPort);
        Assert.Equal("link-local", Exchange(client, "link-local", Answer));
        Assert.Equal(new IPEndPoint(bridge, ProxyPort), client.RemoteEndPoint);
    }

    [NamespaceFact("nc")]
    public async Task Nc_in_the_container_gets_its_reply_through_the_proxy_and_none_from_the_naive_service()
    {
        await using var setup = new Setup();
        string host = FieldReportTopology.HostEth0V4.ToString();

        ProcessResultLite direct = Nc(setup, host, setup.Service.Port);
        Assert.DoesNotContain("hello", direct.Output, StringComparison.Ordinal);

        ProcessResultLite proxied = Nc(setup, host, ProxyPort);
        Assert.Contains("hello", proxied.Output, StringComparison.Ordinal);
    }

    private readonly record struct ProcessResultLite(string Output);

    private static ProcessResultLite Nc(Setup setup, string host, int port)
    {
        // -w1: give up one second after stdin ends with nothing more to read.
        var result = setup.Topology.Container.Exec("nc", ["-u", "-w1", host, port.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            TimeSpan.FromSeconds(10), standardInput: "hello\n");
        return new ProcessResultLite(result.StandardOutput);
    }
}
