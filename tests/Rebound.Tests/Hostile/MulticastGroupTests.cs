using System.Net;

namespace Rebound.Tests.Hostile;

/// <summary>Parsing <c>GROUP[%INTERFACE]</c> for --join and the options.</summary>
public sealed class MulticastGroupTests
{
    [Theory]
    [InlineData("233.252.0.1", "233.252.0.1", 0)]
    [InlineData("ff12::db8:1", "ff12::db8:1", 0)]
    [InlineData("233.252.0.1%1", "233.252.0.1", 1)]
    [InlineData("ff12::db8:1%lo", "ff12::db8:1", 1)]
    [InlineData("::ffff:233.252.0.1", "233.252.0.1", 0)]
    public void Groups_parse_with_and_without_an_interface(string text, string address, int index)
    {
        MulticastGroup group = MulticastGroup.Parse(text);
        Assert.Equal(IPAddress.Parse(address), group.Address);
        Assert.Equal(index, group.InterfaceIndex);
    }

    [Theory]
    [InlineData("192.0.2.1")]
    [InlineData("2001:db8::1")]
    [InlineData("233.252.0.1%nosuchif0")]
    [InlineData("233.252.0.1%../lo")]
    [InlineData("not-an-address")]
    public void Unicast_addresses_unknown_interfaces_and_junk_are_format_errors(string text) =>
        Assert.Throws<FormatException>(() => MulticastGroup.Parse(text));

    [Fact]
    public void Joining_a_unicast_address_or_the_wrong_family_is_an_argument_error()
    {
        using ReboundSocket v4 = ReboundSocket.Bind("0.0.0.0:0");
        using ReboundSocket v6Only = ReboundSocket.Bind("[::]:0", new ReboundSocketOptions { DualStack = false });
        Assert.Throws<ArgumentException>(() => v4.JoinMulticastGroup(new MulticastGroup(IPAddress.Parse("192.0.2.1"))));
        Assert.Throws<ArgumentException>(() => v4.JoinMulticastGroup(new MulticastGroup(IPAddress.Parse("ff12::db8:1"))));
        Assert.Throws<ArgumentException>(() => v6Only.JoinMulticastGroup(new MulticastGroup(IPAddress.Parse("233.252.0.1"))));
    }
}
