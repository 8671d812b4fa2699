using CsCheck;
using Rebound.Interop;

namespace Rebound.Tests;

/// <summary>
/// What <c>ReplyBatch</c> hands the kernel, checked on the bytes: one message per answerable item with a reply, in item
/// order, whose sockaddr decodes to the requester and whose pktinfo decodes to the request's destination.
/// </summary>
public sealed unsafe class BatchEncodingTests
{
    private const int AfInet = 2;
    private const int AfInet6 = 10;

    private static readonly Gen<UdpEndPoint> V4 = Gen.Select(Gen.UInt, Gen.UShort[1, ushort.MaxValue], (address, port) =>
        UdpEndPoint.FromIPv4(BitConverter.GetBytes(address), port));

    private static readonly Gen<UdpEndPoint> V6 = Gen.Select(Gen.Byte.Array[16], Gen.UShort[1, ushort.MaxValue], (address, port) =>
    {
        address[0] = 0x20; // global unicast: no scope, not v4-mapped, not multicast
        return UdpEndPoint.FromIPv6(address, port);
    });

    private static readonly Gen<(UdpEndPoint Remote, UdpEndPoint Local, bool CanReply, int Length)> V4Item =
        Gen.Select(V4, V4, Gen.Int[0, 9], Gen.Int[0, 64], (r, l, reason, length) => (r, l, reason != 0, length));

    // On a dual-stack socket an IPv4 request arrives from, and to, v4-mapped addresses; an IPv6 one from and to IPv6.
    private static readonly Gen<(UdpEndPoint Remote, UdpEndPoint Local, bool CanReply, int Length)> V6Item = Gen.OneOf(
        Gen.Select(V6, V6, Gen.Int[0, 9], Gen.Int[0, 64], (r, l, reason, length) => (r, l, reason != 0, length)),
        V4Item.Select(i => (i.Remote.MapToIPv6(), i.Local.MapToIPv6(), i.CanReply, i.Length)));

    [Fact]
    public void Ipv4_socket_messages_carry_each_requester_and_its_destination() => Check(AfInet, V4Item);

    [Fact]
    public void Dual_stack_socket_messages_carry_each_requester_and_its_destination() => Check(AfInet6, V6Item);

    [Fact]
    public void Payload_buffers_hold_their_size_and_start_in_different_cache_sets() =>
        Gen.Int[1, DatagramBatch.MaxBufferSize].Sample(size =>
        {
            int stride = DatagramBatch.SlotStride(size);
            Assert.True(stride >= size && stride < size + 128 && stride % 64 == 0, $"stride {stride} for {size} bytes");

            // 64 consecutive buffers start in 64 different sets of a 64-set cache (4 KiB of lines): a 64 KiB stride
            // would start them all in one set.
            Assert.Equal(64, Enumerable.Range(0, 64).Select(i => (long)i * stride / 64 % 64).Distinct().Count());
        });

    /// <summary>
    /// Items drawn from three requesters and two destinations, so runs to one peer from one source are common: the
    /// encoder writes a run's address once, and every message of it must still decode to its own item.
    /// </summary>
    [Fact]
    public void Runs_to_one_requester_decode_like_every_other_message() => Check(AfInet, Gen.Select(
        Gen.Int[0, 2], Gen.Int[0, 1], Gen.Int[0, 9], Gen.Int[0, 64],
        (peer, local, reason, length) => (
            UdpEndPoint.Parse($"198.51.100.{peer + 1}:{5300 + peer}"), UdpEndPoint.Parse($"203.0.113.{local + 1}:53"), reason != 0, length)));

    private static void Check(int family, Gen<(UdpEndPoint Remote, UdpEndPoint Local, bool CanReply, int Length)> item)
    {
        item.Array[1, 32].Sample(items =>
        {
            using var batch = new DatagramBatch(32, 64); // one per sample: CsCheck samples on several threads
            batch.SetReceived(items.Length);
            for (int i = 0; i < items.Length; i++)
            {
                (UdpEndPoint remote, UdpEndPoint local, bool canReply, int length) = items[i];
                batch.Slot(i) = new ReceivedDatagram(8, remote, local, local, 3, false, canReply ? UnanswerableReason.None : UnanswerableReason.MissingPacketInfo);
                batch.SetReplyLength(i, length);
            }

            TransmitBatch transmit = batch.PrepareReplies();
            int messages = transmit.Encode(family);

            int[] expected = Enumerable.Range(0, items.Length).Where(i => items[i].CanReply && items[i].Length > 0).ToArray();
            Assert.Equal(expected, batch.SendOrder[..expected.Length].ToArray());

            // A message may carry a run of replies to one requester (UDP GSO): each of its iovecs is one reply.
            int k = 0;
            for (int m = 0; m < messages; m++)
            {
                MessageHeader header = transmit.Headers[m].Header;
                Assert.Equal((nuint)transmit.RunLength(m), header.IoVectorCount);
                for (int v = 0; v < (int)header.IoVectorCount; v++, k++)
                {
                    (UdpEndPoint remote, UdpEndPoint local, _, int length) = items[expected[k]];
                    Assert.Equal((nuint)length, header.IoVectors[v].Length);
                    Assert.True(header.IoVectors[v].Base == batch.ReplyAddress(expected[k]));

                    Assert.True(SocketAddressCodec.TryRead(new ReadOnlySpan<byte>(header.Name, (int)header.NameLength), out UdpEndPoint to));
                    Assert.True(to.HasSameAddress(remote) && to.Port == remote.Port, $"sent to {to}, asked by {remote}");

                    PacketInfo info = ControlMessages.Read(new ReadOnlySpan<byte>(header.Control, (int)header.ControlLength));
                    Assert.False(info.Malformed);
                    UdpEndPoint from = info.HasV4 ? info.V4SpecificDestination : info.V6Destination;
                    Assert.True(info.HasV4 || info.HasV6);
                    Assert.True(from.HasSameAddress(local), $"sent from {from}, request went to {local}");
                }
            }

            Assert.Equal(expected.Length, k);
        });
    }
}
