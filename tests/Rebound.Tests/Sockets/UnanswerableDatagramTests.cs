using System.Net;
using System.Net.Sockets;
using static Rebound.Tests.Sockets.LoopbackPeers;

namespace Rebound.Tests.Sockets;

/// <summary>A datagram whose destination the kernel could not report is never answered.</summary>
public sealed class UnanswerableDatagramTests
{
    [Fact]
    public void Control_truncation_from_a_real_kernel_blocks_the_reply_and_is_counted()
    {
        // 16 bytes of control space cannot hold IP_PKTINFO (28), so the kernel sets MSG_CTRUNC.
        var options = new ReboundSocketOptions { ControlBufferSize = 16 };
        using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0), options);
        using Socket client = ConnectedClient(AskedAddress, server.LocalEndPoint.Port);
        byte[] buffer = new byte[100];

        client.Send("hello"u8);
        ReceivedDatagram request = server.Receive(buffer);

        Assert.False(request.CanReply);
        Assert.Equal(UnanswerableReason.ControlDataTruncated, request.Unanswerable);
        var e = Assert.Throws<InvalidOperationException>(() => server.Reply(request, buffer.AsSpan(0, request.Length)));
        Assert.Contains("MSG_CTRUNC", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.Statistics.ControlDataTruncated);
        Assert.Equal(0, server.Statistics.Sent);
        Assert.Null(ReceiveReply(client));
    }

    [Fact]
    public void Payload_larger_than_the_buffer_is_flagged_and_counted()
    {
        using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0));
        using Socket client = ConnectedClient(AskedAddress, server.LocalEndPoint.Port);

        client.Send(new byte[64]);
        ReceivedDatagram request = server.Receive(new byte[16]);

        Assert.True(request.IsTruncated);
        Assert.Equal(16, request.Length);
        Assert.Equal(1, server.Statistics.Truncated);
    }
}
