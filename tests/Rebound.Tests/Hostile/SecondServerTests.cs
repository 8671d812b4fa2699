using System.Net;
using System.Net.Sockets;
using Rebound.Tests.Support;
using Xunit.Abstractions;

namespace Rebound.Tests.Hostile;

/// <summary>Issue 11 item 7: a second server on a served address is refused unless both ask to share it.</summary>
public sealed class SecondServerTests(ITestOutputHelper output)
{
    private static int Echo(ReadOnlySpan<byte> request, Span<byte> reply, in ReceivedDatagram datagram)
    {
        request.CopyTo(reply);
        return request.Length;
    }

    [Fact]
    public async Task A_second_multi_socket_server_fails_with_address_in_use_where_plain_SO_REUSEPORT_sockets_share()
    {
        // The old way (SO_REUSEPORT on every socket of a group): a second group of the same user joins silently.
        using ReboundSocket firstNaive = ReboundSocket.Bind("0.0.0.0:0", new ReboundSocketOptions { ReusePort = true });
        using ReboundSocket secondNaive = ReboundSocket.Bind(firstNaive.LocalEndPoint, new ReboundSocketOptions { ReusePort = true });

        await using ReboundServer first = ReboundServer.Start(new IPEndPoint(IPAddress.Any, 0), Echo, new ReboundServerOptions { SocketCount = 2 });
        var taken = new IPEndPoint(IPAddress.Any, first.LocalEndPoint.Port);
        SocketException refused = Assert.Throws<SocketException>(() => ReboundServer.Start(taken, Echo, new ReboundServerOptions { SocketCount = 2 }));
        Assert.Equal(SocketError.AddressAlreadyInUse, refused.SocketErrorCode);
        Assert.Throws<SocketException>(() => ReboundServer.Start(taken, Echo, new ReboundServerOptions { SocketCount = 1 }));
        output.WriteLine($"second server on {taken}: {refused.SocketErrorCode}; two plain SO_REUSEPORT sockets on {firstNaive.LocalEndPoint}: both bound");

        // The first server still answers, on every one of its sockets.
        using Socket client = Loopback.Client("127.0.0.1", "127.0.0.2", taken.Port);
        client.Send("still here"u8);
        Assert.Equal("still here"u8.ToArray(), Loopback.TryReceive(client, TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public async Task Servers_that_both_ask_to_share_the_port_share_it()
    {
        var sharing = new ReboundServerOptions { SocketCount = 2, Socket = new ReboundSocketOptions { ReusePort = true } };
        await using ReboundServer first = ReboundServer.Start(new IPEndPoint(IPAddress.Any, 0), Echo, sharing);
        await using ReboundServer second = ReboundServer.Start(new IPEndPoint(IPAddress.Any, first.LocalEndPoint.Port), Echo, sharing);
        Assert.Equal(first.LocalEndPoint.Port, second.LocalEndPoint.Port);
    }
}
