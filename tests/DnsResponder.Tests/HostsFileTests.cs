using System.Net;
using DnsResponder.Dns;

namespace DnsResponder.Tests;

/// <summary>The hosts-file reader: what it accepts, and that every bad line is reported with its number.</summary>
public sealed class HostsFileTests
{
    [Fact]
    public void Reads_IPv4_IPv6_several_names_comments_and_CRLF()
    {
        (List<HostsEntry> entries, List<string> errors) = HostsFile.Parse(
            "# header\r\n192.0.2.10 www.example.test  WWW2.Example.Test.\r\n\n\t2001:db8::10\twww.example.test # trailing\n   # indented comment\n");
        Assert.Empty(errors);
        Assert.Equal(
            [("192.0.2.10", "www.example.test", 2), ("192.0.2.10", "www2.example.test", 2), ("2001:db8::10", "www.example.test", 4)],
            entries.Select(e => (e.Address.ToString(), e.Name, e.Line)));
    }

    [Theory]
    [InlineData("300.1.2.3 a.example.test", "line 1: '300.1.2.3' is not an IPv4 or IPv6 address.")]
    [InlineData("10 a.example.test", "line 1: '10' is not an IPv4 or IPv6 address.")] // inet_aton would take it; a hosts file should not
    [InlineData("fe80::1%2 a.example.test", "line 1: 'fe80::1%2' is not an IPv4 or IPv6 address.")]
    [InlineData("192.0.2.1", "line 1: 192.0.2.1 has no name after it.")]
    [InlineData("192.0.2.1 bad/name.example.test", "line 1: 'bad/name.example.test' contains '/'; names may use letters, digits, '-' and '_'.")]
    [InlineData("192.0.2.1 a..example.test", "line 1: 'a..example.test' has an empty label or one longer than 63 characters.")]
    public void Reports_bad_lines_with_their_number(string line, string expected)
    {
        (List<HostsEntry> entries, List<string> errors) = HostsFile.Parse(line);
        Assert.Equal(expected, Assert.Single(errors));
        Assert.Empty(entries);
    }

    [Fact]
    public void Zone_keeps_names_outside_it_aside_and_collapses_duplicates()
    {
        (List<HostsEntry> entries, _) = HostsFile.Parse("192.0.2.1 a.example.test\n192.0.2.1 A.example.test\n192.0.2.2 localhost\n");
        var zone = Zone.Create("example.test", entries);
        Assert.Equal(["localhost"], zone.NamesOutside);
        Assert.Equal(1, zone.Find("a.example.test")!.ACount);
        Assert.NotNull(zone.Find("example.test")); // the apex always exists (it holds the SOA)
        Assert.Null(zone.Find("b.example.test"));
    }

    [Fact]
    public void Address_records_are_encoded_with_a_pointer_to_the_question()
    {
        (List<HostsEntry> entries, _) = HostsFile.Parse("192.0.2.1 a.example.test\n");
        ReadOnlySpan<byte> record = Zone.Create("example.test", entries).Find("a.example.test")!.ARecords;
        Assert.Equal(Convert.FromHexString("C00C00010001" + "0000003C" + "0004" + "C0000201"), record.ToArray());
        Assert.Equal(IPAddress.Parse("192.0.2.1"), new IPAddress(record[12..]));
    }
}
