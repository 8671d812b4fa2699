using System.Net;
using CsCheck;

namespace Rebound.Tests;

public sealed class UdpEndPointTests
{
    [Theory]
    [InlineData("192.0.2.1:53")]
    [InlineData("[2001:db8::1]:53")]
    [InlineData("[::ffff:192.0.2.1]:56789")]
    [InlineData("[fe80::1%3]:5353")]
    [InlineData("0.0.0.0:0")]
    [InlineData("[::]:0")]
    public void Formats_like_IPEndPoint(string text)
    {
        IPEndPoint expected = IPEndPoint.Parse(text);
        UdpEndPoint endpoint = UdpEndPoint.FromIPEndPoint(expected);

        Assert.Equal(expected.ToString(), endpoint.ToString());
        Assert.Equal(expected, endpoint.ToIPEndPoint());
    }

    [Fact]
    public void Classifies_addresses()
    {
        Assert.True(UdpEndPoint.Parse("[fe80::1]:1").IsIPv6LinkLocal);
        Assert.True(UdpEndPoint.Parse("[ff02::fb]:1").IsMulticast);
        Assert.True(UdpEndPoint.Parse("224.0.0.251:1").IsMulticast);
        Assert.True(UdpEndPoint.Parse("[::ffff:224.0.0.251]:1").IsMulticast);
        Assert.True(UdpEndPoint.Parse("255.255.255.255:1").IsLimitedBroadcast);
        Assert.True(UdpEndPoint.Parse("[::ffff:1.2.3.4]:1").IsIPv4MappedToIPv6);
        Assert.False(UdpEndPoint.Parse("1.2.3.4:1").IsIPv4MappedToIPv6);
        Assert.True(UdpEndPoint.Parse("[::]:1").IsUnspecified);
        Assert.False(UdpEndPoint.Parse("[2001:db8::1]:1").IsMulticast);
    }

    [Fact]
    public void Mapping_between_families_keeps_the_address()
    {
        UdpEndPoint v4 = UdpEndPoint.Parse("192.0.2.1:53");
        Assert.Equal("[::ffff:192.0.2.1]:53", v4.MapToIPv6().ToString());
        Assert.Equal(v4, v4.MapToIPv6().MapToIPv4());
        Assert.True(v4.HasSameAddress(v4.MapToIPv6().WithPort(1)));
    }

    [Fact]
    public void Round_trips_through_IPEndPoint()
    {
        Gen.Select(Gen.Bool, Gen.Byte.Array[16], Gen.UShort).Sample((v4, bytes, port) =>
        {
            var ip = new IPEndPoint(new IPAddress(v4 ? bytes[..4] : bytes), port);
            Assert.Equal(ip, UdpEndPoint.FromIPEndPoint(ip).ToIPEndPoint());
            Assert.Equal(ip.ToString(), UdpEndPoint.FromIPEndPoint(ip).ToString());
        }, iter: 5_000);
    }
}
