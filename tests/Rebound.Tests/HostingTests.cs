using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rebound.Hosting;
using Rebound.Tests.Support;

namespace Rebound.Tests;

/// <summary>A real Microsoft.Extensions.Hosting host running a Rebound server: start, serve, log, stop.</summary>
public sealed class HostingTests
{
    private static int Echo(ReadOnlySpan<byte> request, Span<byte> reply, in ReceivedDatagram datagram)
    {
        request.CopyTo(reply);
        return request.Length;
    }

    [Fact]
    public async Task A_host_starts_the_server_serves_a_datagram_and_stops_gracefully()
    {
        var logs = new LogCollector();
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.AddProvider(logs);
        builder.Services.AddReboundServer("[::]:0", Echo, options => options.SocketCount = 2);
        using IHost host = builder.Build();

        await host.StartAsync();
        ReboundServer server = host.Services.GetRequiredService<ReboundHostedServer>().Server!;
        Assert.Equal(2, server.SocketCount);
        using (Socket client = Loopback.Client("127.0.0.1", "127.0.0.2", server.LocalEndPoint.Port))
        {
            client.Send("hosted"u8);
            Assert.Equal("hosted", Encoding.ASCII.GetString(Loopback.TryReceive(client, TimeSpan.FromSeconds(2)) ?? []));
        }

        await host.StopAsync(TimeSpan.FromSeconds(5));

        Assert.True(server.Completion.IsCompletedSuccessfully);
        Assert.Contains(logs.Messages, m => m.StartsWith($"Rebound server listening on [::]:{server.LocalEndPoint.Port} with 2 sockets", StringComparison.Ordinal));
        Assert.Contains(logs.Messages, m => m.Contains("stopped: 1 received, 1 sent, 0 not answered", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_taken_port_fails_the_host_start_with_a_logged_error()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var logs = new LogCollector();
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.AddProvider(logs);
        builder.Services.AddReboundServer(taken.LocalEndPoint!.ToString()!, Echo);
        using IHost host = builder.Build();

        SocketException e = await Assert.ThrowsAsync<SocketException>(() => host.StartAsync());
        Assert.Equal(SocketError.AddressAlreadyInUse, e.SocketErrorCode);
        Assert.Contains(logs.Messages, m => m.StartsWith("Rebound server cannot listen on 127.0.0.1:", StringComparison.Ordinal));
    }

    [Fact]
    public void A_malformed_endpoint_is_refused_at_registration()
    {
        var services = new ServiceCollection();
        ArgumentException e = Assert.Throws<ArgumentException>(() => services.AddReboundServer("localhost", Echo));
        Assert.Contains("not an address and port", e.Message, StringComparison.Ordinal);
    }
}
