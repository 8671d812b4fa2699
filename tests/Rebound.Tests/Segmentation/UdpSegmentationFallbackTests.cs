using System.Net;
using System.Net.Sockets;
using Rebound.Lab;

namespace Rebound.Tests.Segmentation;

/// <summary>
/// What the batched send does where a segmented send cannot go as it is, over a real veth pair between two namespaces:
/// a device without checksum offload, a route whose MTU is below the segment size, a source address deleted before the
/// send. Each test first shows what the kernel does to a plain socket that uses UDP_SEGMENT itself in the same setup,
/// then that the library still delivers every datagram it can, exactly, and reports each one it cannot.
/// </summary>
public sealed class UdpSegmentationFallbackTests
{
    private static readonly UdpEndPoint FromSender = UdpEndPoint.FromIPAddress(SegmentationLab.SenderAddress, 0);

    /// <remarks>
    /// Before Linux 6.11 (and its stable backports), a device without checksum offload made the kernel refuse every
    /// segmented send with EIO; since "udp: Allow GSO transmit from devices with no checksum offload" it segments and
    /// checksums in software. The test asks the kernel first and expects the library to stop segmenting exactly when it
    /// refuses: either way every datagram arrives, and the device sends each as its own frame.
    /// </remarks>
    [NamespaceFact("ethtool", "tcpdump")]
    public void Without_checksum_offload_every_datagram_arrives_and_segmentation_stops_exactly_when_the_kernel_refuses_it()
    {
        using var lab = SegmentationLab.Veth();
        ProcessResult ethtool = lab.Sender.Exec("ethtool", ["-K", "v0", "tx", "off"]);
        Assert.True(ethtool.Succeeded, $"ethtool -K v0 tx off: {ethtool.StandardError}");
        using Socket receiver = lab.BindReceiver(SegmentationLab.ReceiverAddress);
        var destination = (IPEndPoint)receiver.LocalEndPoint!;

        SocketException? refused;
        using (Socket naive = lab.NaiveSegmentingSocket(200))
        {
            refused = SegmentationLab.SendSegmented(naive, destination, 200, 2);
            Assert.Equal(refused is null ? 2 : 0, SegmentationLab.ReceiveAll(receiver, refused is null ? 2 : 0).Count);
        }

        using ReboundSocket sender = lab.BindSender();
        using var batch = new TransmitBatch(16, 1500);
        byte[][] payloads = [.. Enumerable.Range(0, 12).Select(i => SegmentationLab.Payload(3, i, 200))];
        using var capture = lab.Capture("gso-tx-off.pcap", "v0");
        foreach (byte[] payload in payloads)
        {
            batch.Add(UdpEndPoint.FromIPEndPoint(destination), FromSender, payload);
        }

        Assert.Equal(payloads.Length, sender.SendBatch(batch));
        Assert.All(Enumerable.Range(0, payloads.Length), i => Assert.Equal(SocketError.Success, batch.Error(i)));
        List<(IPEndPoint From, string Payload)> received = SegmentationLab.ReceiveAll(receiver, payloads.Length);
        Assert.Equal(SegmentationLab.Hex(payloads), received.Select(r => r.Payload));
        Assert.All(received, r => Assert.Equal(SegmentationLab.SenderAddress, r.From.Address));
        Assert.True(batch.Segmentation == (refused is null), $"kernel: {refused?.Message ?? "took the segmented send"}; batch.Segmentation: {batch.Segmentation}");
        Assert.Equal(payloads.Select(p => p.Length), SegmentationLab.UdpFrames(capture.Stop(), SegmentationLab.SenderAddress, destination.Port));
        Assert.Equal(0, sender.Statistics.SendErrors);
    }

    [NamespaceFact("tcpdump")]
    public void Segments_over_the_route_MTU_go_one_by_one_fragmented_and_smaller_runs_after_them_stay_segmented()
    {
        using var lab = SegmentationLab.Veth(mtu: 1280);
        using Socket receiver = lab.BindReceiver(SegmentationLab.ReceiverAddress);
        var destination = (IPEndPoint)receiver.LocalEndPoint!;

        // A program that segments 1400-byte datagrams itself on this route loses them: the kernel refuses the send
        // (EINVAL before Linux 6.13, EMSGSIZE since) and nothing arrives.
        using (Socket naive = lab.NaiveSegmentingSocket(1400))
        {
            SocketException? refused = SegmentationLab.SendSegmented(naive, destination, 1400, 2);
            Assert.NotNull(refused);
            Assert.Contains(refused.SocketErrorCode, new[] { SocketError.MessageSize, SocketError.InvalidArgument });
            Assert.Empty(SegmentationLab.ReceiveAll(receiver, 0));
        }

        using ReboundSocket sender = lab.BindSender();
        using var batch = new TransmitBatch(16, 2048);
        using var capture = lab.Capture("gso-mtu.pcap", "v0");
        byte[][] large = [.. Enumerable.Range(0, 6).Select(i => SegmentationLab.Payload(4, i, 1400))];
        Send(sender, batch, destination, large);
        List<(IPEndPoint From, string Payload)> received = SegmentationLab.ReceiveAll(receiver, large.Length);
        Assert.Equal(SegmentationLab.Hex(large), received.Select(r => r.Payload));
        Assert.All(received, r => Assert.Equal(SegmentationLab.SenderAddress, r.From.Address));
        Assert.True(batch.LargestSegment < 1400, $"LargestSegment {batch.LargestSegment}: runs of 1400-byte datagrams would be tried again");
        Assert.True(batch.Segmentation);

        byte[][] small = [.. Enumerable.Range(0, 10).Select(i => SegmentationLab.Payload(5, i, 500))];
        Send(sender, batch, destination, small);
        Assert.Equal(SegmentationLab.Hex(small), SegmentationLab.ReceiveAll(receiver, small.Length).Select(r => r.Payload));

        // Each 1400-byte datagram left alone, in two fragments (only the first carries the UDP header, and shows
        // here); the ten 500-byte ones left as one segmented frame, which veth hands over whole.
        Assert.Equal([1400, 1400, 1400, 1400, 1400, 1400, 5000], SegmentationLab.UdpFrames(capture.Stop(), SegmentationLab.SenderAddress, destination.Port));
        Assert.Equal(0, sender.Statistics.SendErrors);
    }

    [NamespaceFact("tcpdump")]
    public void A_run_from_a_vanished_source_is_reported_datagram_by_datagram_and_runs_from_a_valid_source_still_go_out()
    {
        IPAddress doomed = IPAddress.Parse("203.0.113.1");
        using var lab = SegmentationLab.Veth();
        lab.Sender.Ip("addr", "add", $"{doomed}/32", "dev", "v0");
        using Socket receiver = lab.BindReceiver(SegmentationLab.ReceiverAddress);
        var destination = (IPEndPoint)receiver.LocalEndPoint!;
        using ReboundSocket sender = lab.BindSender();
        using Socket naive = lab.NaiveSegmentingSocket(100, doomed);
        lab.Sender.Ip("addr", "del", $"{doomed}/32", "dev", "v0");

        // A program that segments itself gets one error for the whole run: which datagrams failed is not said.
        SocketException? refused = SegmentationLab.SendSegmented(naive, destination, 100, 5);
        Assert.NotNull(refused);

        // valid ×3, vanished ×5, valid ×4: three runs in one batch.
        (UdpEndPoint From, int Stream)[] plan = [.. Enumerable.Repeat((FromSender, 6), 3), .. Enumerable.Repeat((UdpEndPoint.FromIPAddress(doomed, 0), 7), 5), .. Enumerable.Repeat((FromSender, 6), 4)];
        using var batch = new TransmitBatch(16, 1500);
        using var capture = lab.Capture("gso-vanished.pcap", "v0");
        for (int i = 0; i < plan.Length; i++)
        {
            batch.Add(UdpEndPoint.FromIPEndPoint(destination), plan[i].From, SegmentationLab.Payload(plan[i].Stream, i, 100));
        }

        int sent = sender.SendBatch(batch);

        Assert.Equal(7, sent);
        Assert.All(Enumerable.Range(0, plan.Length), i => Assert.Equal(plan[i].Stream == 7, batch.Error(i) != SocketError.Success));
        Assert.Equal(5, sender.Statistics.SendErrors);
        Assert.Equal(5, sender.Statistics.SourceUnavailable);
        Assert.Equal(7, sender.Statistics.Sent);
        List<(IPEndPoint From, string Payload)> received = SegmentationLab.ReceiveAll(receiver, 7);
        int[] valid = [.. Enumerable.Range(0, plan.Length).Where(i => plan[i].Stream == 6)];
        Assert.Equal(valid.Select(i => Convert.ToHexString(SegmentationLab.Payload(6, i, 100))), received.Select(r => r.Payload));
        Assert.All(received, r => Assert.Equal(SegmentationLab.SenderAddress, r.From.Address));

        // The refusal was about the source, not the size: the run before it went out segmented, and so does the next
        // batch's run from the valid source (how the rest of the refused send goes is the sender's choice).
        Assert.Equal(ushort.MaxValue, batch.LargestSegment);
        Assert.True(batch.Segmentation);
        byte[][] next = [.. Enumerable.Range(0, 4).Select(i => SegmentationLab.Payload(8, i, 100))];
        Send(sender, batch, destination, next);
        Assert.Equal(SegmentationLab.Hex(next), SegmentationLab.ReceiveAll(receiver, next.Length).Select(r => r.Payload));
        List<int> frames = SegmentationLab.UdpFrames(capture.Stop(), SegmentationLab.SenderAddress, destination.Port);
        Assert.Equal(300, frames[0]);
        Assert.Equal(400, frames[^1]);
        Assert.Equal((7 + 4) * 100, frames.Sum());
    }

    private static void Send(ReboundSocket sender, TransmitBatch batch, IPEndPoint destination, byte[][] payloads)
    {
        foreach (byte[] payload in payloads)
        {
            batch.Add(UdpEndPoint.FromIPEndPoint(destination), FromSender, payload);
        }

        Assert.Equal(payloads.Length, sender.SendBatch(batch));
        Assert.All(Enumerable.Range(0, payloads.Length), i => Assert.Equal(SocketError.Success, batch.Error(i)));
    }
}
