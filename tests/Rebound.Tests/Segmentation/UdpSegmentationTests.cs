using System.Net;
using System.Net.Sockets;
using Rebound.Interop;

namespace Rebound.Tests.Segmentation;

/// <summary>
/// UDP GSO in the batched send, on a real loopback in a fresh namespace: a run of datagrams to one peer from one source
/// leaves as one segmented send (tcpdump on <c>lo</c> shows one frame holding them all, since loopback never needs to
/// cut it), yet the peer receives exactly the datagrams queued, in order, from the source asked. The same batch with
/// segmentation off (the path before GSO) shows one frame per datagram.
/// </summary>
public sealed class UdpSegmentationTests
{
    [NamespaceFact("tcpdump")]
    public void A_run_to_one_peer_leaves_as_one_frame_and_arrives_as_the_datagrams_queued_from_the_chosen_source()
    {
        Assert.True(UdpSegmentation.IsEnabled, "this kernel has UDP_SEGMENT (4.18+) and nothing switched it off");
        using var lab = SegmentationLab.Loopback();
        using ReboundSocket sender = lab.BindSender();
        using Socket receiver = lab.BindReceiver(SegmentationLab.LoopbackPeer);
        byte[][] payloads = [.. Enumerable.Range(0, 11).Select(i => SegmentationLab.Payload(1, i, i < 10 ? 100 : 37))];

        (List<int> segmented, List<(IPEndPoint From, string Payload)> received) = SendAndCapture(lab, sender, receiver, payloads, segmentation: true, "gso-lo.pcap");

        Assert.Equal(SegmentationLab.Hex(payloads), received.Select(r => r.Payload));
        Assert.All(received, r => Assert.Equal(new IPEndPoint(SegmentationLab.LoopbackSource, sender.LocalEndPoint.Port), r.From));
        Assert.Equal([(10 * 100) + 37], segmented);

        // The path before GSO, same setup: one frame per datagram.
        (List<int> unsegmented, received) = SendAndCapture(lab, sender, receiver, payloads, segmentation: false, "no-gso-lo.pcap");

        Assert.Equal(SegmentationLab.Hex(payloads), received.Select(r => r.Payload));
        Assert.All(received, r => Assert.Equal(SegmentationLab.LoopbackSource, r.From.Address));
        Assert.Equal(payloads.Select(p => p.Length), unsegmented);
    }

    [NamespaceFact("tcpdump")]
    public void A_mixed_batch_of_two_peers_several_sizes_and_an_empty_datagram_arrives_exactly_and_in_order_per_peer()
    {
        using var lab = SegmentationLab.Loopback();
        using ReboundSocket sender = lab.BindSender();
        using Socket first = lab.BindReceiver(SegmentationLab.LoopbackPeer);
        using Socket second = lab.BindReceiver(SegmentationLab.LoopbackPeer);
        var toFirst = new IPEndPoint(SegmentationLab.LoopbackPeer, ((IPEndPoint)first.LocalEndPoint!).Port);
        var toSecond = new IPEndPoint(SegmentationLab.LoopbackPeer, ((IPEndPoint)second.LocalEndPoint!).Port);

        // (peer, source, length): runs, a run cut short by a shorter datagram, a longer one after a shorter one,
        // the other peer in between, an empty datagram, and sources that change inside one peer's stream.
        (IPEndPoint To, IPAddress From, int Length)[] plan =
        [
            (toFirst, SegmentationLab.LoopbackSource, 300), (toFirst, SegmentationLab.LoopbackSource, 300),
            (toFirst, SegmentationLab.LoopbackSource, 300), (toSecond, SegmentationLab.LoopbackSource, 1200),
            (toSecond, SegmentationLab.LoopbackSource, 1200), (toFirst, SegmentationLab.LoopbackSource, 300),
            (toFirst, SegmentationLab.LoopbackSource, 120), (toFirst, SegmentationLab.LoopbackSource, 300),
            (toSecond, SegmentationLab.LoopbackSource, 0), (toSecond, SegmentationLab.LoopbackSource, 1200),
            (toSecond, IPAddress.Loopback, 1200), (toSecond, IPAddress.Loopback, 1200), (toSecond, SegmentationLab.LoopbackSource, 1200),
            (toFirst, SegmentationLab.LoopbackSource, 1), (toFirst, SegmentationLab.LoopbackSource, 1), (toFirst, SegmentationLab.LoopbackSource, 1),
        ];

        using var batch = new TransmitBatch(plan.Length, 1500);
        using var capture = lab.Capture("gso-mixed.pcap", "lo");
        for (int i = 0; i < plan.Length; i++)
        {
            batch.Add(UdpEndPoint.FromIPEndPoint(plan[i].To), UdpEndPoint.FromIPAddress(plan[i].From, 0), SegmentationLab.Payload(2, i, plan[i].Length));
        }

        Assert.Equal(plan.Length, sender.SendBatch(batch));
        Assert.All(Enumerable.Range(0, plan.Length), i => Assert.Equal(SocketError.Success, batch.Error(i)));

        foreach ((Socket receiver, IPEndPoint peer) in new[] { (first, toFirst), (second, toSecond) })
        {
            int[] mine = [.. Enumerable.Range(0, plan.Length).Where(i => plan[i].To.Equals(peer))];
            List<(IPEndPoint From, string Payload)> received = SegmentationLab.ReceiveAll(receiver, mine.Length);
            Assert.Equal(mine.Select(i => Convert.ToHexString(SegmentationLab.Payload(2, i, plan[i].Length))), received.Select(r => r.Payload));
            Assert.Equal(mine.Select(i => plan[i].From), received.Select(r => r.From.Address));
        }

        // The runs went out segmented, one frame each (UDP length = the run's bytes); a datagram that changes peer,
        // source or grows starts a new frame, and the empty one goes alone: 9 frames for 16 datagrams.
        string pcap = capture.Stop();
        Assert.Equal([900, 420, 300, 3], SegmentationLab.UdpFrames(pcap, SegmentationLab.LoopbackSource, toFirst.Port));
        Assert.Equal([2400, 0, 1200, 1200], SegmentationLab.UdpFrames(pcap, SegmentationLab.LoopbackSource, toSecond.Port));
        Assert.Equal([2400], SegmentationLab.UdpFrames(pcap, IPAddress.Loopback, toSecond.Port));
    }

    [NamespaceFact("tcpdump")]
    public void A_dual_stack_socket_segments_runs_to_an_IPv6_and_an_IPv4_peer_and_each_arrives_exactly_from_its_chosen_source()
    {
        using var lab = SegmentationLab.Loopback();
        using ReboundSocket sender = lab.BindSender(dualStack: true);
        using Socket v6 = lab.BindReceiver(SegmentationLab.LoopbackPeerV6);
        using Socket v4 = lab.BindReceiver(SegmentationLab.LoopbackPeer);
        using var batch = new TransmitBatch(32, 1500);
        using var capture = lab.Capture("gso-dual-stack.pcap", "lo");
        var streams = new[] { (Receiver: v6, Source: SegmentationLab.LoopbackSourceV6), (Receiver: v4, Source: SegmentationLab.LoopbackSource) };
        byte[][][] payloads = [.. streams.Select((_, s) => Enumerable.Range(0, 9).Select(i => SegmentationLab.Payload(10 + s, i, i < 8 ? 300 : 50)).ToArray())];
        for (int s = 0; s < streams.Length; s++)
        {
            foreach (byte[] payload in payloads[s])
            {
                batch.Add(UdpEndPoint.FromIPEndPoint((IPEndPoint)streams[s].Receiver.LocalEndPoint!), UdpEndPoint.FromIPAddress(streams[s].Source, 0), payload);
            }
        }

        Assert.Equal(18, sender.SendBatch(batch));
        Assert.All(Enumerable.Range(0, 18), i => Assert.Equal(SocketError.Success, batch.Error(i)));
        string? pcap = null;
        for (int s = 0; s < streams.Length; s++)
        {
            List<(IPEndPoint From, string Payload)> received = SegmentationLab.ReceiveAll(streams[s].Receiver, payloads[s].Length);
            Assert.Equal(SegmentationLab.Hex(payloads[s]), received.Select(r => r.Payload));
            Assert.All(received, r => Assert.Equal(new IPEndPoint(streams[s].Source, sender.LocalEndPoint.Port), r.From));
            pcap ??= capture.Stop();
            int port = ((IPEndPoint)streams[s].Receiver.LocalEndPoint!).Port;
            Assert.Equal([(8 * 300) + 50], SegmentationLab.UdpFrames(pcap, streams[s].Source, port));
        }
    }

    /// <summary>Sends <paramref name="payloads"/> to the receiver from 192.0.2.10 in one batch under a capture of lo.</summary>
    private static (List<int> Frames, List<(IPEndPoint From, string Payload)> Received) SendAndCapture(
        SegmentationLab lab, ReboundSocket sender, Socket receiver, byte[][] payloads, bool segmentation, string name)
    {
        var destination = UdpEndPoint.FromIPEndPoint((IPEndPoint)receiver.LocalEndPoint!);
        var source = UdpEndPoint.FromIPAddress(SegmentationLab.LoopbackSource, 0);
        using var batch = new TransmitBatch(payloads.Length, 1500) { Segmentation = segmentation };
        using var capture = lab.Capture(name, "lo");
        foreach (byte[] payload in payloads)
        {
            batch.Add(destination, source, payload);
        }

        Assert.Equal(payloads.Length, sender.SendBatch(batch));
        Assert.All(Enumerable.Range(0, payloads.Length), i => Assert.Equal(SocketError.Success, batch.Error(i)));
        List<(IPEndPoint From, string Payload)> received = SegmentationLab.ReceiveAll(receiver, payloads.Length);
        return (SegmentationLab.UdpFrames(capture.Stop(), SegmentationLab.LoopbackSource, destination.Port), received);
    }
}
