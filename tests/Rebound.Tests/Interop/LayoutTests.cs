using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Rebound.Interop;

namespace Rebound.Tests.Interop;

/// <summary>The kernel ABI facts the interop layer relies on (x86-64 / arm64 Linux).</summary>
public sealed class LayoutTests
{
    [Theory]
    [InlineData(ControlMessages.InPacketInfoSize, 28, 32)]
    [InlineData(ControlMessages.In6PacketInfoSize, 36, 40)]
    [InlineData(4, 20, 24)]
    [InlineData(0, 16, 16)]
    public void Cmsg_len_and_space_match_glibc(int payload, int expectedLength, int expectedSpace)
    {
        Assert.Equal(expectedLength, ControlMessages.Length(payload));
        Assert.Equal(expectedSpace, ControlMessages.Space(payload));
    }

    [Fact]
    public void Pktinfo_payload_sizes_match_the_kernel_structs()
    {
        Assert.Equal(12, ControlMessages.InPacketInfoSize);   // int ifindex; in_addr spec_dst; in_addr addr
        Assert.Equal(20, ControlMessages.In6PacketInfoSize);  // in6_addr addr; unsigned ifindex
    }

    [Fact]
    public void Receive_buffer_holds_both_pktinfos_of_a_dual_stack_datagram_and_an_unasked_extra_message()
    {
        int needed = ControlMessages.Space(ControlMessages.InPacketInfoSize)
                     + ControlMessages.Space(ControlMessages.In6PacketInfoSize)
                     + ControlMessages.Space(4);
        Assert.Equal(96, needed);
        Assert.True(ControlMessages.ReceiveBufferSize >= needed);
        Assert.True(ControlMessages.SendBufferSize >= ControlMessages.Space(ControlMessages.In6PacketInfoSize));
    }

    [Fact]
    public void Msghdr_iovec_and_mmsghdr_have_the_lp64_layout()
    {
        Assert.Equal(16, Unsafe.SizeOf<IoVec>());
        Assert.Equal(56, Unsafe.SizeOf<MessageHeader>());
        Assert.Equal(0, (int)Marshal.OffsetOf<MessageHeader>(nameof(MessageHeader.Name)));
        Assert.Equal(8, (int)Marshal.OffsetOf<MessageHeader>(nameof(MessageHeader.NameLength)));
        Assert.Equal(16, (int)Marshal.OffsetOf<MessageHeader>(nameof(MessageHeader.IoVectors)));
        Assert.Equal(24, (int)Marshal.OffsetOf<MessageHeader>(nameof(MessageHeader.IoVectorCount)));
        Assert.Equal(32, (int)Marshal.OffsetOf<MessageHeader>(nameof(MessageHeader.Control)));
        Assert.Equal(40, (int)Marshal.OffsetOf<MessageHeader>(nameof(MessageHeader.ControlLength)));
        Assert.Equal(48, (int)Marshal.OffsetOf<MessageHeader>(nameof(MessageHeader.Flags)));
        Assert.Equal(64, Unsafe.SizeOf<MultiMessageHeader>());
        Assert.Equal(56, (int)Marshal.OffsetOf<MultiMessageHeader>(nameof(MultiMessageHeader.Length)));
    }

    [Fact]
    public void Socket_address_sizes_match_sockaddr_in_and_in6()
    {
        Assert.Equal(16, LinuxConstants.SizeOfSockAddrIn);
        Assert.Equal(28, LinuxConstants.SizeOfSockAddrIn6);
    }
}
