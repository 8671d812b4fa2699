using System.Buffers.Binary;
using CsCheck;
using Rebound.Interop;

namespace Rebound.Tests.Interop;

/// <summary>
/// The single-pass IPv4 decode must give exactly what the general decoder gives, on the bytes the kernel writes and on
/// every near miss of them; and it must actually take the common shape (or the speed-up is not there).
/// </summary>
public sealed class DatagramDecoderFastPathTests
{
    private const int MsgTrunc = 0x20;
    private const int MsgCtrunc = 0x8;

    // Addresses a server really sees: unicast, equal or different spec_dst, multicast, limited and subnet broadcast.
    private static readonly Gen<byte[]> Address = Gen.OneOf(
        Gen.Byte.Array[4],
        Gen.Const(new byte[] { 255, 255, 255, 255 }),
        Gen.Select(Gen.Byte[224, 239], Gen.Byte.Array[3]).Select((first, rest) => new byte[] { first, rest[0], rest[1], rest[2] }),
        Gen.Const(new byte[] { 192, 0, 2, 255 }),
        Gen.Const(new byte[] { 198, 51, 100, 13 }));

    private static readonly Gen<(byte[] Name, byte[] Control, int Flags)> KernelShaped =
        Gen.Select(Address, Gen.UShort, Gen.Int[0, 1 << 16], Address, Gen.Bool, Address, Gen.Int[0, 3])
            .Select((remote, port, ifindex, specDst, same, addr, flags) =>
            {
                byte[] name = new byte[16];
                BinaryPrimitives.WriteUInt16LittleEndian(name, 2);
                BinaryPrimitives.WriteUInt16BigEndian(name.AsSpan(2), port);
                remote.CopyTo(name, 4);
                byte[] data = new byte[12];
                BinaryPrimitives.WriteInt32LittleEndian(data, ifindex);
                specDst.CopyTo(data, 4);
                (same ? specDst : addr).CopyTo(data, 8);
                int messageFlags = ((flags & 1) != 0 ? MsgTrunc : 0) | ((flags & 2) != 0 && ifindex % 7 == 0 ? MsgCtrunc : 0);
                return (name, ControlMessageBytes.Message(0, 8, data), messageFlags);
            });

    [Fact]
    public void Fast_decode_takes_every_kernel_shaped_ipv4_datagram_and_equals_the_general_decode()
    {
        KernelShaped.Sample(sample =>
        {
            bool fast = DatagramDecoder.TryDecodeIPv4(64, sample.Flags, sample.Name, sample.Control, 53, out ReceivedDatagram quick);
            ReceivedDatagram general = DatagramDecoder.DecodeGeneral(64, sample.Flags, sample.Name, sample.Control, 53);

            Assert.Equal((sample.Flags & MsgCtrunc) == 0, fast);
            if (fast)
            {
                AssertSame(general, quick);
            }

            AssertSame(general, DatagramDecoder.Decode(64, sample.Flags, sample.Name, sample.Control, 53));
        }, iter: 20_000);
    }

    [Fact]
    public void Fast_decode_declines_or_agrees_on_altered_bytes_trailing_data_and_extra_messages()
    {
        Gen.Select(KernelShaped, Gen.Int[0, 43], Gen.Byte, Gen.Int[0, 3], Gen.Int[0, 24]).Sample((sample, index, value, change, extra) =>
        {
            byte[] name = sample.Name;
            byte[] control = sample.Control;
            switch (change)
            {
                case 0 when index < 16:
                    name = [.. name];
                    name[index] = value;
                    break;
                case 0:
                case 1:
                    control = [.. control];
                    control[index % control.Length] = value;
                    break;
                case 2:
                    // Trailing bytes or a second message (SO_RXQ_OVFL), as a socket with more options would get.
                    control = extra >= 16 ? [.. control, .. ControlMessageBytes.DropCounter(7)] : [.. control, .. new byte[extra]];
                    break;
                default:
                    control = control[..Math.Min(control.Length, 16 + extra)];
                    break;
            }

            ReceivedDatagram general = DatagramDecoder.DecodeGeneral(64, sample.Flags, name, control, 53);
            if (DatagramDecoder.TryDecodeIPv4(64, sample.Flags, name, control, 53, out ReceivedDatagram quick))
            {
                AssertSame(general, quick);
            }

            AssertSame(general, DatagramDecoder.Decode(64, sample.Flags, name, control, 53));
        }, iter: 50_000);
    }

    [Fact]
    public void Fast_decode_leaves_ipv6_and_dual_stack_datagrams_to_the_general_decoder()
    {
        byte[] dualStack = [.. ControlMessageBytes.In6PacketInfo("::ffff:192.0.2.255", 4), .. ControlMessageBytes.InPacketInfo(4, "192.0.2.1", "192.0.2.255")];

        Assert.False(DatagramDecoder.TryDecodeIPv4(1, 0, ControlMessageBytes.SockAddrIn6("::ffff:192.0.2.3", 5000), dualStack, 53, out _));
        Assert.False(DatagramDecoder.TryDecodeIPv4(1, 0, ControlMessageBytes.SockAddrIn6("2001:db8::3", 5000), ControlMessageBytes.In6PacketInfo("2001:db8::1", 2), 53, out _));
        Assert.False(DatagramDecoder.TryDecodeIPv4(1, 0, ControlMessageBytes.SockAddrIn("192.0.2.3", 5000), [], 53, out _));
    }

    private static void AssertSame(ReceivedDatagram expected, ReceivedDatagram actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        Assert.Equal(expected.RemoteEndPoint, actual.RemoteEndPoint);
        Assert.Equal(expected.RemoteEndPoint.IsIPv4, actual.RemoteEndPoint.IsIPv4);
        Assert.Equal(expected.LocalEndPoint, actual.LocalEndPoint);
        Assert.Equal(expected.ReplySource, actual.ReplySource);
        Assert.Equal(expected.ReplySource.ScopeId, actual.ReplySource.ScopeId);
        Assert.Equal(expected.InterfaceIndex, actual.InterfaceIndex);
        Assert.Equal(expected.ReplyInterfaceIndex, actual.ReplyInterfaceIndex);
        Assert.Equal(expected.IsTruncated, actual.IsTruncated);
        Assert.Equal(expected.Unanswerable, actual.Unanswerable);
        Assert.Equal(expected.IsBroadcastOrMulticast, actual.IsBroadcastOrMulticast);
    }
}
