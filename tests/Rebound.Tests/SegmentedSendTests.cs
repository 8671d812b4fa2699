using System.Buffers.Binary;
using CsCheck;
using Rebound.Interop;

namespace Rebound.Tests;

/// <summary>
/// UDP GSO in the batched send, checked on the bytes the kernel gets: a model of Linux's UDP send reads each mmsghdr
/// (sockaddr, pktinfo, UDP_SEGMENT, iovecs) and cuts a segmented message into datagrams as the kernel does. Every
/// queued datagram must come out exactly once, in order, with its own destination, source and payload, whether the
/// kernel takes everything, part of a batch, or refuses runs (EIO, EINVAL, a pending ECONNREFUSED). The real-socket
/// and capture proofs are in Sockets/.
/// </summary>
public sealed unsafe class SegmentedSendTests
{
    private const int AfInet = 2;

    private static readonly UdpEndPoint[] Peers = [UdpEndPoint.Parse("198.51.100.7:5300"), UdpEndPoint.Parse("198.51.100.8:5301")];
    private static readonly UdpEndPoint[] Sources = [UdpEndPoint.Parse("203.0.113.1:0"), UdpEndPoint.Parse("203.0.113.2:0")];

    // Runs are common (few peers and sources, a few sizes), and so are the shapes the rule must stop at: empty and
    // shorter datagrams, larger ones.
    private static readonly Gen<(int Peer, int Source, int Length)> Item = Gen.Select(
        Gen.Frequency((6, Gen.Const(0)), (1, Gen.Const(1))),
        Gen.Frequency((6, Gen.Const(0)), (1, Gen.Const(1))),
        Gen.OneOfConst(0, 1, 64, 64, 64, 64, 100, 1400, 1400),
        (peer, source, length) => (peer, source, length));

    [Fact]
    public void The_segment_size_message_is_the_kernels_layout()
    {
        Span<byte> control = stackalloc byte[ControlMessages.SendBufferSize];
        control.Fill(0xAA);
        int written = ControlMessages.WriteSegmentSize(1200, control);

        // CMSG_SPACE(sizeof(__u16)) = 24; cmsg_len = CMSG_LEN(2) = 18; SOL_UDP 17; UDP_SEGMENT 103; padding zeroed.
        Assert.Equal(24, written);
        Assert.Equal(
            new byte[] { 18, 0, 0, 0, 0, 0, 0, 0, 17, 0, 0, 0, 103, 0, 0, 0, 0xB0, 0x04, 0, 0, 0, 0, 0, 0 },
            control[..24].ToArray());
        Assert.Throws<ArgumentException>(() => ControlMessages.WriteSegmentSize(1200, new byte[23]));
    }

    [Fact]
    public void Every_datagram_comes_out_once_in_order_and_runs_are_as_long_as_the_rule_allows() =>
        Item.Array[1, 64].Sample(items =>
        {
            using TransmitBatch batch = Queue(items);
            int messages = batch.Encode(AfInet);
            Assert.True(messages <= items.Length);

            List<Datagram> sent = [];
            for (int m = 0; m < messages; m++)
            {
                List<Datagram> run = Kernel.Cut(batch.Headers[m].Header, batch.Headers[0].Header.IoVectors);
                Assert.Equal(batch.RunLength(m), run.Count);
                sent.AddRange(run);

                // Greedy: a run stops only where the next datagram may not join it.
                int next = sent.Count;
                if (next < items.Length && run[^1].Payload.Length == run[0].Payload.Length && run.Count < UdpSegmentation.MaxSegments)
                {
                    (int peer, int source, int length) = items[next];
                    bool sameAddressing = Peers[peer].Equals(run[0].To) && Sources[source].HasSameAddress(run[0].From);
                    int bytes = run.Sum(d => d.Payload.Length);
                    Assert.False(
                        sameAddressing && UdpSegmentation.CanStart(run[0].Payload.Length, ushort.MaxValue) &&
                        UdpSegmentation.Joins(run[0].Payload.Length, run.Count, bytes, length),
                        $"datagram {next} ({length} bytes) could have joined message {m}");
                }
            }

            AssertSame(items, sent);
        });

    [Fact]
    public void Without_segmentation_every_datagram_is_its_own_message()
    {
        (int, int, int)[] items = [.. Enumerable.Repeat((0, 0, 64), 10)];
        using TransmitBatch batch = Queue(items);
        batch.Segmentation = false;
        Assert.Equal(10, batch.Encode(AfInet));

        using TransmitBatch segmented = Queue(items);
        Assert.Equal(1, segmented.Encode(AfInet));
        Assert.Equal(10, segmented.RunLength(0));
    }

    [Fact]
    public void Refused_runs_are_resent_one_by_one_and_each_datagram_gets_one_verdict() =>
        Gen.Select(Item.Array[1, 64], Step.Array[0, 12]).Sample((items, script) =>
        {
            using TransmitBatch batch = Queue(items);
            int messages = batch.Encode(AfInet);
            var errors = new Errno[items.Length];
            var kernel = new Kernel(batch.Headers[0].Header.IoVectors, script);
            int sent = LinuxBatchIO.SendAll(ref kernel, batch.Headers, messages, Enumerable.Range(0, items.Length).ToArray(), errors, new SocketCounters(), runs: batch);

            // Each datagram was either delivered once or refused once (never both, never twice), in order.
            Assert.Equal(kernel.Delivered.Count, sent);
            var outcome = new List<(int Index, bool Delivered)>();
            outcome.AddRange(kernel.Delivered.Select(d => (d.Index, true)));
            outcome.AddRange(errors.Select((e, i) => (i, e)).Where(x => x.e != Errno.None).Select(x => (x.i, false)));
            Assert.Equal(Enumerable.Range(0, items.Length), outcome.Select(o => o.Index).Order());
            Assert.Equal(kernel.Delivered.Select(d => d.Index).Order(), kernel.Delivered.Select(d => d.Index));
            foreach (Datagram datagram in kernel.Delivered)
            {
                Assert.Equal(Expected(items, datagram.Index), datagram);
            }

            // An EIO refusal of a run ends segmentation for the batch; only refusals of a lone datagram are errors.
            Assert.Equal(!kernel.RefusedRunWithEio, batch.Segmentation);
            Assert.All(kernel.Refusals, r => Assert.Equal(r.Errno, errors[r.Index]));
        });

    [Fact]
    public void A_run_refused_for_its_size_but_taken_one_by_one_is_not_tried_that_large_again()
    {
        (int, int, int)[] items = [(0, 0, 1400), (0, 0, 1400), (0, 0, 100), (0, 0, 100)];
        using TransmitBatch batch = Queue(items);
        int messages = batch.Encode(AfInet);
        Assert.Equal(2, messages);
        var kernel = new Kernel(batch.Headers[0].Header.IoVectors, [-(int)Errno.EINVAL]);   // the route's MTU is below 1400 + headers
        Assert.Equal(4, LinuxBatchIO.SendAll(ref kernel, batch.Headers, messages, [0, 1, 2, 3], new Errno[4], null, runs: batch));
        Assert.Equal(1399, batch.LargestSegment);

        // The same batch keeps its limit: 1400-byte datagrams now go alone, 100-byte ones still as a run.
        batch.Clear();
        for (int i = 0; i < items.Length; i++)
        {
            batch.Add(Peers[0], Sources[0], new byte[items[i].Item3]);
        }

        Assert.Equal(3, batch.Encode(AfInet));
        Assert.Equal([1, 1, 2], new[] { batch.RunLength(0), batch.RunLength(1), batch.RunLength(2) });
        batch.Clear();
    }

    [Fact]
    public void A_pending_error_goes_to_the_runs_first_datagram_and_the_rest_are_sent()
    {
        (int, int, int)[] items = [(0, 0, 64), (0, 0, 64), (0, 0, 64)];
        using TransmitBatch batch = Queue(items);
        int messages = batch.Encode(AfInet);
        var errors = new Errno[3];
        var kernel = new Kernel(batch.Headers[0].Header.IoVectors, [-(int)Errno.ECONNREFUSED]);
        Assert.Equal(2, LinuxBatchIO.SendAll(ref kernel, batch.Headers, messages, [0, 1, 2], errors, null, runs: batch));
        Assert.Equal([Errno.ECONNREFUSED, Errno.None, Errno.None], errors);
        Assert.Equal([1, 2], kernel.Delivered.Select(d => d.Index));
        Assert.True(batch.Segmentation);
    }

    [Fact]
    public void Only_the_refused_run_goes_one_by_one_and_the_next_run_is_still_segmented()
    {
        (int, int, int)[] items = [(0, 0, 64), (0, 0, 64), (0, 0, 64), (1, 1, 64), (1, 1, 64), (1, 1, 64)];
        using TransmitBatch batch = Queue(items);
        int messages = batch.Encode(AfInet);
        Assert.Equal(2, messages);
        var errors = new Errno[6];
        var kernel = new Kernel(batch.Headers[0].Header.IoVectors, [-(int)Errno.EADDRNOTAVAIL]);   // the first run's source vanished
        Assert.Equal(5, LinuxBatchIO.SendAll(ref kernel, batch.Headers, messages, [0, 1, 2, 3, 4, 5], errors, null, runs: batch));
        Assert.Equal([Errno.EADDRNOTAVAIL, Errno.None, Errno.None, Errno.None, Errno.None, Errno.None], errors);
        Assert.Equal([1, 1, 3], kernel.Taken);
    }

    private static readonly Gen<int> Step = Gen.Frequency(
        (4, Gen.Int[1, 64]),
        (2, Gen.OneOfConst(-(int)Errno.EAGAIN, -(int)Errno.EINTR)),
        (3, Gen.OneOfConst(-(int)Errno.EIO, -(int)Errno.EINVAL, -(int)Errno.EMSGSIZE, -(int)Errno.ECONNREFUSED, -(int)Errno.EADDRNOTAVAIL)));

    private static TransmitBatch Queue((int Peer, int Source, int Length)[] items)
    {
        // On whether or not this kernel has UDP_SEGMENT: the kernel here is the model.
        var batch = new TransmitBatch(64, 2048) { Segmentation = true };
        for (int i = 0; i < items.Length; i++)
        {
            Datagram expected = Expected(items, i);
            batch.Add(expected.To, expected.From, expected.Payload);
        }

        return batch;
    }

    /// <summary>Datagram <paramref name="index"/>'s payload starts with its index, so a reordering or a mix-up shows.</summary>
    private static Datagram Expected((int Peer, int Source, int Length)[] items, int index)
    {
        (int peer, int source, int length) = items[index];
        byte[] payload = new byte[length];
        for (int k = 0; k < length; k++)
        {
            payload[k] = (byte)(index + k);
        }

        return new Datagram(index, Peers[peer], Sources[source], payload);
    }

    private static void AssertSame((int Peer, int Source, int Length)[] items, List<Datagram> sent)
    {
        Assert.Equal(items.Length, sent.Count);
        for (int i = 0; i < items.Length; i++)
        {
            Assert.Equal(Expected(items, i), sent[i]);
        }
    }

    private sealed record Datagram(int Index, UdpEndPoint To, UdpEndPoint From, byte[] Payload)
    {
        public bool Equals(Datagram? other) =>
            other is not null && Index == other.Index && To.Equals(other.To) && From.HasSameAddress(other.From) && Payload.AsSpan().SequenceEqual(other.Payload);

        public override int GetHashCode() => Index;
    }

    /// <summary>
    /// Linux's UDP send as far as the batch can tell: plays a script of sendmmsg results (n messages taken, or -errno
    /// for the first), then takes everything; a taken message is cut into datagrams as the kernel cuts a GSO send.
    /// </summary>
    private struct Kernel(IoVec* vectors, int[] script) : IMessageSender
    {
        private int _step;

        public List<Datagram> Delivered { get; } = [];

        public List<(int Index, Errno Errno)> Refusals { get; } = [];

        /// <summary>How many datagrams each message the kernel took carried.</summary>
        public List<int> Taken { get; } = [];

        public bool RefusedRunWithEio { get; private set; }

        public int Send(MultiMessageHeader* messages, int count, out Errno errno)
        {
            int result = _step < script.Length ? script[_step++] : count;
            if (result > 0)
            {
                result = Math.Min(result, count);
                for (int m = 0; m < result; m++)
                {
                    Delivered.AddRange(Cut(messages[m].Header, vectors));
                    Taken.Add((int)messages[m].Header.IoVectorCount);
                }

                errno = Errno.None;
                return result;
            }

            errno = (Errno)(-result);
            int datagrams = (int)messages->Header.IoVectorCount;
            RefusedRunWithEio |= errno == Errno.EIO && datagrams > 1;
            if (datagrams == 1 && errno is not (Errno.EAGAIN or Errno.EINTR))
            {
                Refusals.Add((Cut(messages->Header, vectors)[0].Index, errno));
            }

            return -1;
        }

        public readonly void WaitUntilWritable()
        {
        }

        /// <summary>The datagrams one mmsghdr becomes: its payload cut at the UDP_SEGMENT size, if it has one.</summary>
        public static List<Datagram> Cut(in MessageHeader header, IoVec* vectors)
        {
            Assert.True(SocketAddressCodec.TryRead(new ReadOnlySpan<byte>(header.Name, (int)header.NameLength), out UdpEndPoint to));
            var control = new ReadOnlySpan<byte>(header.Control, (int)header.ControlLength);
            PacketInfo info = ControlMessages.Read(control);
            Assert.False(info.Malformed);
            UdpEndPoint from = info.V4SpecificDestination;
            int segment = SegmentSize(control);

            var payload = new List<byte>();
            for (int v = 0; v < (int)header.IoVectorCount; v++)
            {
                payload.AddRange(new ReadOnlySpan<byte>(header.IoVectors[v].Base, (int)header.IoVectors[v].Length).ToArray());
            }

            Assert.True(header.IoVectorCount == 1 || segment > 0, "several datagrams in one message without UDP_SEGMENT");
            Assert.True(payload.Count <= UdpSegmentation.MaxRunBytes || header.IoVectorCount == 1);
            // As the kernel does: one datagram, or (with a segment size under the total) pieces of that size. The n-th
            // piece is named after the message's n-th iovec, whose place in the batch says which datagram was queued.
            List<Datagram> datagrams = [];
            int first = (int)(header.IoVectors - vectors);
            int size = segment > 0 && segment < payload.Count ? segment : Math.Max(payload.Count, 1);
            for (int offset = 0, n = 0; offset < payload.Count || offset == 0; offset += size, n++)
            {
                datagrams.Add(new Datagram(first + n, to, from, payload.Skip(offset).Take(size).ToArray()));
            }

            return datagrams;
        }

        /// <summary>The segment size from a UDP_SEGMENT control message, 0 without one.</summary>
        private static int SegmentSize(ReadOnlySpan<byte> control)
        {
            for (int offset = 0; control.Length - offset >= ControlMessages.HeaderSize;)
            {
                ReadOnlySpan<byte> rest = control[offset..];
                int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(rest);
                if (BinaryPrimitives.ReadInt32LittleEndian(rest[8..]) == 17 && BinaryPrimitives.ReadInt32LittleEndian(rest[12..]) == 103)
                {
                    Assert.Equal(ControlMessages.HeaderSize + 2, length);
                    return BinaryPrimitives.ReadUInt16LittleEndian(rest[ControlMessages.HeaderSize..]);
                }

                offset += ControlMessages.Align(length);
            }

            return 0;
        }

    }
}
