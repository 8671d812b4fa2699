using CsCheck;

namespace Rebound.Proxy.Tests;

/// <summary>
/// Issue 11 item 12: what the per-client limit counts by. An IPv6 client is its address cut to
/// <see cref="FlowLimits.ClientPrefixLengthV6"/> bits; IPv4 (and v4-mapped) clients count by address.
/// </summary>
public sealed class ClientPrefixTests
{
    [Fact]
    public void Two_IPv6_clients_share_a_count_exactly_when_their_first_prefix_bits_agree()
    {
        Gen.Select(Gen.Byte.Array[16], Gen.Byte.Array[16], Gen.Int[1, 128], Gen.Int[0, 128]).Sample((a, b, prefix, keep) =>
        {
            // b shares a's first `keep` bits, then differs wherever it happens to.
            for (int bit = 0; bit < keep; bit++)
            {
                int mask = 0x80 >> (bit % 8);
                b[bit / 8] = (byte)((b[bit / 8] & ~mask) | (a[bit / 8] & mask));
            }

            a[0] = b[0] = 0x20; // global unicast, never v4-mapped (IPv4 counts by address whatever the prefix)
            var table = new FlowTable<FlowEntry>(new FlowLimits { ClientPrefixLengthV6 = prefix });
            UdpEndPoint x = UdpEndPoint.FromIPv6(a, 1000);
            UdpEndPoint y = UdpEndPoint.FromIPv6(b, 2000);
            bool samePrefix = Enumerable.Range(0, prefix).All(bit => ((a[bit / 8] ^ b[bit / 8]) & (0x80 >> (bit % 8))) == 0);
            Assert.Equal(samePrefix, table.ClientOf(x) == table.ClientOf(y));
        });
    }

    [Fact]
    public void IPv4_clients_count_by_address_whatever_the_IPv6_prefix()
    {
        var table = new FlowTable<FlowEntry>(new FlowLimits { ClientPrefixLengthV6 = 8 });
        Assert.NotEqual(table.ClientOf(UdpEndPoint.Parse("192.0.2.1:5")), table.ClientOf(UdpEndPoint.Parse("192.0.2.2:5")));
        Assert.Equal(table.ClientOf(UdpEndPoint.Parse("192.0.2.1:5")), table.ClientOf(UdpEndPoint.Parse("[::ffff:192.0.2.1]:6")));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(129)]
    public void A_prefix_length_outside_1_to_128_is_refused(int prefix) =>
        Assert.Contains("prefix length", new FlowLimits { ClientPrefixLengthV6 = prefix }.Validate(), StringComparison.Ordinal);
}
