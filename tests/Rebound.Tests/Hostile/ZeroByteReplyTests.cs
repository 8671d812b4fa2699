using System.Net;
using System.Net.Sockets;
using Rebound.Tests.Support;
using Xunit.Abstractions;

namespace Rebound.Tests.Hostile;

/// <summary>Issue 11 item 8: a batched server can answer an empty datagram, which a handler's 0 ("no reply") cannot.</summary>
public sealed class ZeroByteReplyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_handler_answers_an_empty_datagram_with_EmptyReply_where_returning_its_length_sends_nothing()
    {
        // The naive echo handler returns the request's length: 0 for an empty request, which means "no reply".
        await using ReboundServer naive = ReboundServer.Start(
            new IPEndPoint(IPAddress.Any, 0),
            (request, reply, in _) => { request.CopyTo(reply); return request.Length; },
            new ReboundServerOptions { SocketCount = 1 });
        await using ReboundServer fixedEcho = ReboundServer.Start(
            new IPEndPoint(IPAddress.Any, 0),
            (request, reply, in _) => { request.CopyTo(reply); return request.Length == 0 ? ReboundServer.EmptyReply : request.Length; },
            new ReboundServerOptions { SocketCount = 1 });

        int naiveReplies = EmptyRepliesFrom(naive.LocalEndPoint.Port);
        int fixedReplies = EmptyRepliesFrom(fixedEcho.LocalEndPoint.Port);
        output.WriteLine($"empty datagrams answered: returning the length {naiveReplies}/3, EmptyReply {fixedReplies}/3");
        Assert.Equal(0, naiveReplies);
        Assert.Equal(3, fixedReplies);
        Assert.Equal(3, fixedEcho.Statistics.Sent);
    }

    [Fact]
    public void SetReply_with_an_empty_span_sends_a_zero_byte_datagram_and_SetReplyLength_zero_sends_none()
    {
        using ReboundSocket server = ReboundSocket.Bind("127.0.0.1:0");
        using Socket client = Loopback.Client("127.0.0.1", "127.0.0.1", server.LocalEndPoint.Port);
        using var batch = new DatagramBatch(4, 64);
        client.Send(ReadOnlySpan<byte>.Empty);
        client.Send(ReadOnlySpan<byte>.Empty);
        Loopback.ReceiveBatches(server, batch, 2, _ => { });
        Assert.Equal(2, batch.Count);
        batch.SetReplyLength(0, 0);
        batch.SetReply(1, []);
        Assert.Equal(1, server.ReplyBatch(batch));

        byte[]? reply = Loopback.TryReceive(client, TimeSpan.FromSeconds(2));
        Assert.NotNull(reply);
        Assert.Empty(reply);
        Assert.Null(Loopback.TryReceive(client, Loopback.NoReplyWait));
    }

    private static int EmptyRepliesFrom(int port)
    {
        using Socket client = Loopback.Client("127.0.0.1", "127.0.0.1", port);
        for (int i = 0; i < 3; i++)
        {
            client.Send(ReadOnlySpan<byte>.Empty);
        }

        int replies = 0;
        while (Loopback.TryReceive(client, replies == 0 ? TimeSpan.FromSeconds(1) : Loopback.NoReplyWait) is byte[] reply)
        {
            Assert.Empty(reply);
            replies++;
        }

        return replies;
    }
}
