using System.Net;
using System.Net.Sockets;
using Rebound.Tests.Support;
using Xunit.Abstractions;

namespace Rebound.Tests.Hostile;

/// <summary>
/// Issue 11 item 5: the kernel gives a broadcast datagram to every socket of an SO_REUSEPORT group; a multi-socket
/// server answers it once. Loopback's own broadcast address (127.255.255.255) needs no privileges.
/// </summary>
public sealed class BroadcastOnceTests(ITestOutputHelper output)
{
    private const int Sockets = 4;

    [Fact]
    public async Task A_broadcast_reaches_every_socket_of_the_group_and_the_server_answers_it_once()
    {
        // The naive group: four SO_REUSEPORT sockets each get a copy (and each would answer it).
        ReboundSocket[] group = ReboundServer.BindGroup(new IPEndPoint(IPAddress.Any, 0), Sockets, new ReboundSocketOptions());
        try
        {
            using Socket client = BroadcastClient();
            client.SendTo("who?"u8, new IPEndPoint(IPAddress.Parse("127.255.255.255"), group[0].LocalEndPoint.Port));
            int copies = 0;
            var buffer = new byte[64];
            foreach (ReboundSocket socket in group)
            {
                socket.Socket.ReceiveTimeout = 1000;
                ReceivedDatagram datagram = socket.Receive(buffer);
                Assert.True(datagram.IsBroadcastOrMulticast);
                Assert.Equal(IPAddress.Loopback, datagram.ReplySource.ToIPAddress());
                copies++;
            }

            output.WriteLine($"one broadcast datagram: {copies} copies delivered to the {Sockets} sockets of the group");
            Assert.Equal(Sockets, copies);
        }
        finally
        {
            Array.ForEach(group, s => s.Dispose());
        }

        await using ReboundServer server = ReboundServer.Start(
            new IPEndPoint(IPAddress.Any, 0),
            (request, reply, in _) => { request.CopyTo(reply); return request.Length; },
            new ReboundServerOptions { SocketCount = Sockets });
        using Socket asker = BroadcastClient();
        asker.SendTo("who?"u8, new IPEndPoint(IPAddress.Parse("127.255.255.255"), server.LocalEndPoint.Port));
        int replies = 0;
        while (Loopback.TryReceive(asker, replies == 0 ? TimeSpan.FromSeconds(2) : TimeSpan.FromMilliseconds(500)) is not null)
        {
            replies++;
        }

        output.WriteLine($"server with {Sockets} sockets: {replies} reply to one broadcast, {server.Statistics.Received} copies received");
        Assert.Equal(1, replies);
        Assert.Equal(Sockets, server.Statistics.Received);
    }

    [Fact]
    public void A_unicast_datagram_is_not_taken_for_a_broadcast()
    {
        using ReboundSocket socket = ReboundSocket.Bind("[::]:0");
        using Socket client = Loopback.Client("127.0.0.1", "127.0.0.2", socket.LocalEndPoint.Port);
        client.Send("x"u8);
        socket.Socket.ReceiveTimeout = 2000;
        Assert.False(socket.Receive(new byte[8]).IsBroadcastOrMulticast);
    }

    private static Socket BroadcastClient()
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { EnableBroadcast = true };
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return client;
    }
}
