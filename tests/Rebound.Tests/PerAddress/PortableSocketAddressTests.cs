using System.Net;
using System.Net.Sockets;
using CsCheck;
using Rebound.PerAddress;

namespace Rebound.Tests.PerAddress;

/// <summary>
/// The portable sockaddr codec against the runtime's own serializer (<see cref="IPEndPoint.Serialize"/>), which knows
/// each OS's layout: writing must give the runtime's bytes, and reading them back must give the endpoint.
/// </summary>
public sealed class PortableSocketAddressTests
{
    [Fact]
    public void Writes_what_the_runtime_serializes_and_reads_it_back()
    {
        Gen.Select(Gen.Bool, Gen.Byte.Array[16], Gen.UShort, Gen.UInt).Sample((v4, bytes, port, scope) =>
        {
            UdpEndPoint endpoint = v4 ? UdpEndPoint.FromIPv4(bytes.AsSpan(0, 4), port) : UdpEndPoint.FromIPv6(bytes, port, scope);
            SocketAddress expected = endpoint.ToIPEndPoint().Serialize();
            SocketAddress written = PortableSocketAddress.ForFamily(endpoint.AddressFamily);
            PortableSocketAddress.Write(endpoint, written);

            Assert.Equal(expected.Buffer[..expected.Size].ToArray(), written.Buffer[..written.Size].ToArray());
            Assert.True(PortableSocketAddress.TryRead(expected, out UdpEndPoint read));
            Assert.Equal(endpoint, read);
        }, iter: 5_000);
    }

    [Fact]
    public void A_family_other_than_IP_is_not_read()
    {
        var unix = new SocketAddress(AddressFamily.Unix, 32);
        Assert.False(PortableSocketAddress.TryRead(unix, out _));
    }

    [Fact]
    public void Keys_keep_the_scope_only_for_link_local_and_map_IPv4()
    {
        UdpEndPoint mapped = UdpEndPoint.Parse("[::ffff:192.0.2.1]:53");
        UdpEndPoint global = UdpEndPoint.FromIPAddress(IPAddress.Parse("2001:db8::1%3"), 53);
        UdpEndPoint linkLocal = UdpEndPoint.FromIPAddress(IPAddress.Parse("fe80::1%3"), 53);

        Assert.Equal(UdpEndPoint.Parse("192.0.2.1:0"), LocalAddresses.Normalize(mapped));
        Assert.Equal(0u, LocalAddresses.Normalize(global).ScopeId);
        Assert.Equal(3u, LocalAddresses.Normalize(linkLocal).ScopeId);
        Assert.False(LocalAddresses.TryKey(IPAddress.Parse("224.0.0.1"), LocalAddresses.Families.Both, out _));
        Assert.False(LocalAddresses.TryKey(IPAddress.Parse("2001:db8::1"), LocalAddresses.Families.IPv4, out _));
        Assert.True(LocalAddresses.TryKey(IPAddress.Parse("2001:db8::1"), LocalAddresses.Families.IPv6, out _));
    }
}
