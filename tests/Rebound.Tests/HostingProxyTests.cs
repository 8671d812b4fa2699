using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Rebound.Hosting;
using Rebound.Proxy;
using Rebound.Tests.Support;

namespace Rebound.Tests;

/// <summary>
/// <c>AddReboundProxy</c>: the in-process proxy as a hosted service, configured from IConfiguration, in a real generic
/// host in front of a real loopback backend.
/// </summary>
public sealed class HostingProxyTests
{
    [Fact]
    public async Task A_proxy_bound_from_configuration_forwards_and_replies_from_the_address_the_client_asked()
    {
        using var backend = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        backend.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var stopBackend = new CancellationTokenSource();
        Task serving = ServeAsync(backend, stopBackend.Token);

        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Proxy:Listen:0"] = "0.0.0.0:0",
            ["Proxy:Backends:0"] = backend.LocalEndPoint!.ToString(),
            ["Proxy:MaxFlowsPerClient"] = "7",
            ["Proxy:IdleTimeout"] = "00:00:30",
            ["Proxy:DrainTimeout"] = "00:00:00.200",
        });
        builder.Services.AddReboundProxy(builder.Configuration.GetSection("Proxy"));
        using IHost host = builder.Build();
        await host.StartAsync();

        UdpProxy proxy = host.Services.GetRequiredService<ReboundHostedProxy>().Proxy;
        int port = proxy.ListenEndPoints[0].Port;
        // The client asks 127.0.0.2 from 127.0.0.1 with a connected socket: it accepts only a reply from 127.0.0.2,
        // which a plain socket on 0.0.0.0 would send from 127.0.0.1 (the route's choice).
        using (Socket client = Loopback.Client("127.0.0.1", "127.0.0.2", port))
        {
            client.Send("hello"u8);
            Assert.Equal("backend:hello", Encoding.ASCII.GetString(Loopback.TryReceive(client, TimeSpan.FromSeconds(5)) ?? []));
        }

        Assert.Equal(1, proxy.Statistics.FlowsCreated);
        await host.StopAsync(TimeSpan.FromSeconds(5));
        Assert.True(proxy.Completion.IsCompletedSuccessfully);
        await stopBackend.CancelAsync();
        await serving;
    }

    [Fact]
    public void Bad_settings_are_refused_at_registration_naming_the_section()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["NoBackend:Listen:0"] = "[::]:0",
            ["BadAddress:Listen:0"] = "[::]:0",
            ["BadAddress:Backends:0"] = "backend.example",
            ["BadNumber:Listen:0"] = "[::]:0",
            ["BadNumber:Backends:0"] = "127.0.0.1:53",
            ["BadNumber:MaxFlows"] = "lots",
        }).Build();

        ArgumentException noBackend = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddReboundProxy(configuration.GetSection("NoBackend")));
        Assert.Contains("'NoBackend'", noBackend.Message, StringComparison.Ordinal);
        Assert.Contains("backend", noBackend.Message, StringComparison.Ordinal);
        ArgumentException badAddress = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddReboundProxy(configuration.GetSection("BadAddress")));
        Assert.Contains("'backend.example' is not an address and port", badAddress.Message, StringComparison.Ordinal);
        InvalidOperationException badNumber = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddReboundProxy(configuration.GetSection("BadNumber")));
        Assert.Contains("MaxFlows", badNumber.Message, StringComparison.Ordinal);
    }

    /// <summary>A backend that answers every datagram with "backend:" and the payload, until cancelled.</summary>
    private static async Task ServeAsync(Socket backend, CancellationToken cancellation)
    {
        var buffer = new byte[2048];
        byte[] prefix = "backend:"u8.ToArray();
        try
        {
            while (true)
            {
                SocketReceiveFromResult received = await backend.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), cancellation);
                byte[] reply = [.. prefix, .. buffer.AsSpan(0, received.ReceivedBytes)];
                await backend.SendToAsync(reply, received.RemoteEndPoint, cancellation);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
