using System.Net;
using System.Net.Sockets;
using Rebound.Lab;
using Rebound.TestSupport;

namespace Rebound.Tests.FieldReport;

/// <summary>
/// The batched and multi-core paths in the field report's topology: a <see cref="ReboundServer"/> on the "Docker host"
/// answers the container's connected clients, and a reply whose source address vanished fails alone in its batch.
/// </summary>
public sealed class FieldReportBatchTests
{
    [NamespaceFact]
    public async Task ReboundServer_on_the_host_answers_the_container_in_both_families_where_the_naive_server_fails()
    {
        using var topology = FieldReportTopology.Create();
        ReboundServer server = topology.Host.Run(() => ReboundServer.Start(
            new IPEndPoint(IPAddress.IPv6Any, 0),
            (request, reply, in datagram) =>
            {
                request.CopyTo(reply);
                return request.Length;
            },
            new ReboundServerOptions { SocketCount = 2, BatchSize = 16 }));
        using LabServer naive = topology.Host.Run(() => LabServer.Start(ServerKind.Naive, new IPEndPoint(IPAddress.IPv6Any, 0)));

        foreach (IPAddress asked in new[] { FieldReportTopology.HostEth0V4, FieldReportTopology.HostEth0V6 })
        {
            using Socket client = topology.Container.Run(() => UdpClients.Connect(new IPEndPoint(asked, server.LocalEndPoint.Port)));
            Assert.Equal("hello", UdpClients.Exchange(client, "hello"));
            Assert.Equal("hi", UdpClients.Exchange(client, "hi"));

            using Socket naiveClient = topology.Container.Run(() => UdpClients.Connect(new IPEndPoint(asked, naive.LocalEndPoint.Port)));
            // The naive reply leaves from docker0's address (192.0.2.1 / 2001:db8:2::1) and the client rejects it.
            Assert.Null(UdpClients.Exchange(naiveClient, "hello"));
        }

        await server.StopAsync().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(4, server.Statistics.Sent);
    }

    [NamespaceFact]
    public void A_reply_from_a_vanished_address_fails_alone_and_the_rest_of_its_batch_goes_out()
    {
        using var topology = FieldReportTopology.Create();
        topology.Host.Ip("addr", "add", "203.0.113.13/32", "dev", "eth0");
        using ReboundSocket server = topology.Host.Run(() => ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0)));
        int port = server.LocalEndPoint.Port;
        using Socket first = topology.Container.Run(() => UdpClients.Connect(new IPEndPoint(FieldReportTopology.HostEth0V4, port)));
        using Socket doomed = topology.Container.Run(() => UdpClients.Connect(new IPEndPoint(IPAddress.Parse("203.0.113.13"), port)));
        using Socket last = topology.Container.Run(() => UdpClients.Connect(new IPEndPoint(FieldReportTopology.HostEth0V4, port)));
        first.Send("one"u8);
        doomed.Send("two"u8);
        last.Send("three"u8);

        using var batch = new DatagramBatch(8, 256);
        Assert.True(server.Socket.Poll(TimeSpan.FromSeconds(2), SelectMode.SelectRead));
        Thread.Sleep(100); // veth and bridge deliver within the send call; this only makes sure all three are queued

        Assert.Equal(3, server.TryReceiveBatch(batch));
        topology.Host.Ip("addr", "del", "203.0.113.13/32", "dev", "eth0");
        for (int i = 0; i < batch.Count; i++)
        {
            batch.SetReply(i, batch.Payload(i));
        }

        Assert.Equal(2, server.ReplyBatch(batch));

        int doomedIndex = Enumerable.Range(0, 3).Single(i => batch.Datagram(i).ReplySource.ToString("a", null) == "203.0.113.13");
        Assert.NotEqual(SocketError.Success, batch.ReplyError(doomedIndex));
        Assert.Equal(1, server.Statistics.SourceUnavailable);
        first.ReceiveTimeout = last.ReceiveTimeout = doomed.ReceiveTimeout = 1000;
        byte[] buffer = new byte[64];
        Assert.Equal(3, first.Receive(buffer));
        Assert.Equal(5, last.Receive(buffer));
        Assert.Throws<SocketException>(() => doomed.Receive(buffer));
    }
}
