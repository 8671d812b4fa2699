using CsCheck;
using Rebound.Interop;
using static Rebound.Tests.Interop.ControlMessageBytes;

namespace Rebound.Tests.Interop;

public sealed class SocketAddressCodecTests
{
    [Fact]
    public void Reads_sockaddr_in_and_in6_as_the_kernel_writes_them()
    {
        Assert.True(SocketAddressCodec.TryRead(SockAddrIn("192.0.2.3", 45167), out UdpEndPoint v4));
        Assert.Equal("192.0.2.3:45167", v4.ToString());
        Assert.True(SocketAddressCodec.TryRead(SockAddrIn6("fe80::1", 53, 9), out UdpEndPoint v6));
        Assert.Equal("[fe80::1%9]:53", v6.ToString());
    }

    [Fact]
    public void An_ipv4_peer_is_written_v4_mapped_for_an_ipv6_socket()
    {
        byte[] buffer = new byte[SocketAddressCodec.MaxSize];
        int length = SocketAddressCodec.Write(UdpEndPoint.Parse("192.0.2.3:53"), LinuxConstants.AF_INET6, buffer);

        Assert.Equal(28, length);
        Assert.Equal(SockAddrIn6("::ffff:192.0.2.3", 53), buffer);
    }

    [Fact]
    public void An_ipv6_peer_cannot_be_written_for_an_ipv4_socket()
    {
        Assert.Throws<ArgumentException>(() => SocketAddressCodec.Write(UdpEndPoint.Parse("[2001:db8::1]:53"), LinuxConstants.AF_INET, new byte[28]));
    }

    [Fact]
    public void Unknown_family_or_short_buffer_is_rejected_without_throwing()
    {
        Assert.False(SocketAddressCodec.TryRead([1, 0, 0, 0], out _));
        Assert.False(SocketAddressCodec.TryRead(SockAddrIn6("2001:db8::1", 1).AsSpan(0, 20), out _));
        Gen.Byte.Array[0, 40].Sample(bytes => { SocketAddressCodec.TryRead(bytes, out _); }, iter: 10_000);
    }

    [Fact]
    public void Written_addresses_read_back_unchanged()
    {
        Gen.Select(Gen.Bool, Gen.Byte.Array[16], Gen.UShort, Gen.UInt).Sample((v4, bytes, port, scope) =>
        {
            UdpEndPoint endpoint = v4 ? UdpEndPoint.FromIPv4(bytes.AsSpan(0, 4), port) : UdpEndPoint.FromIPv6(bytes, port, scope);
            byte[] buffer = new byte[SocketAddressCodec.MaxSize];
            int length = SocketAddressCodec.Write(endpoint, v4 ? LinuxConstants.AF_INET : LinuxConstants.AF_INET6, buffer);
            Assert.True(SocketAddressCodec.TryRead(buffer.AsSpan(0, length), out UdpEndPoint back));
            Assert.Equal(endpoint, back);
        }, iter: 5_000);
    }
}
