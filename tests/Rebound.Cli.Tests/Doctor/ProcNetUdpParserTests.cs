using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using CsCheck;
using Rebound.Cli.Doctor;

namespace Rebound.Cli.Tests.Doctor;

/// <summary>
/// The /proc/net/udp{,6} reader on tables saved from this machine (Data/doctor: sockets opened by a script on known
/// ports 45001-45009, in the root namespace and in a namespace with documentation addresses), and on generated lines.
/// </summary>
public sealed class ProcNetUdpParserTests
{
    private static List<UdpSocketEntry> Snapshot(string name) =>
        ProcNetUdpParser.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Data", "doctor", name)));

    private static UdpSocketEntry Unconnected(List<UdpSocketEntry> entries, string local) =>
        Assert.Single(entries, e => e.Local.Equals(IPEndPoint.Parse(local)) && e.State == UdpSocketEntry.Unconnected);

    [Fact]
    public void Host_ipv4_table_has_wildcard_specific_connected_and_drops()
    {
        List<UdpSocketEntry> entries = Snapshot("host-udp.txt");
        Assert.Equal(7, entries.Count); // every line but the header

        Assert.True(Unconnected(entries, "0.0.0.0:45001").IsWildcardListener);
        Assert.False(Unconnected(entries, "127.0.0.1:45003").IsWildcardListener);
        Assert.Equal(49ul, Unconnected(entries, "127.0.0.1:45008").Drops);
        Assert.Equal(49336ul, Unconnected(entries, "0.0.0.0:45001").Inode);

        UdpSocketEntry connected = Assert.Single(entries, e => e.State == 1);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:45001"), connected.Remote);
        Assert.Equal(IPAddress.Loopback, connected.Local.Address);
        Assert.False(connected.IsWildcardListener);
    }

    [Fact]
    public void Host_ipv6_table_has_wildcard_loopback_v4_mapped_and_connected()
    {
        List<UdpSocketEntry> entries = Snapshot("host-udp6.txt");
        Assert.Equal(5, entries.Count);

        Assert.True(Unconnected(entries, "[::]:45002").IsWildcardListener);
        Assert.True(Unconnected(entries, "[::]:45007").IsWildcardListener); // V6ONLY=1 looks the same in /proc
        Assert.False(Unconnected(entries, "[::1]:45004").IsWildcardListener);
        UdpSocketEntry mapped = Unconnected(entries, "[::ffff:127.0.0.1]:45005");
        Assert.True(mapped.Local.Address.IsIPv4MappedToIPv6);
        Assert.False(mapped.IsWildcardListener);

        UdpSocketEntry connected = Assert.Single(entries, e => e.State == 1);
        Assert.Equal(IPEndPoint.Parse("[::1]:45002"), connected.Remote);
    }

    [Fact]
    public void Namespace_tables_decode_documentation_addresses_in_both_families()
    {
        Assert.False(Unconnected(Snapshot("netns-udp.txt"), "192.0.2.10:45006").IsWildcardListener);
        Assert.False(Unconnected(Snapshot("netns-udp6.txt"), "[2001:db8::10]:45006").IsWildcardListener);
        Assert.True(Unconnected(Snapshot("netns-udp.txt"), "0.0.0.0:45009").IsWildcardListener);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops")]
    [InlineData(" 8160: 0100007F:A7B6 0100007F:AFC9 01 00000000:00000000 00:00000000 00000000     0        0")]
    [InlineData(" 8160: 0100007G:A7B6 0100007F:AFC9 01 00000000:00000000 00:00000000 00000000     0        0 49341 2 00000000370e8745 0")]
    [InlineData(" 8160: 0100007F:A7B6 00000000000000000000000000000000:0000 01 00000000:00000000 00:00000000 00000000 0 0 49341 2 0 0")]
    [InlineData(" 8160: 0100007F:A7B6A 0100007F:AFC9 01 00000000:00000000 00:00000000 00000000     0        0 49341 2 00000000370e8745 0")]
    public void Malformed_lines_are_skipped(string line)
    {
        Assert.False(ProcNetUdpParser.TryParseLine(line, out _));
    }

    private static readonly Gen<IPEndPoint> GenV4 = Gen.Select(Gen.Byte.Array[4], Gen.UShort, (a, p) => new IPEndPoint(new IPAddress(a), p));
    private static readonly Gen<IPEndPoint> GenV6 = Gen.Select(Gen.Byte.Array[16], Gen.UShort, (a, p) => new IPEndPoint(new IPAddress(a), p));

    /// <summary>Writes an entry the way the kernel's udp4_format_sock / udp6_sock_seq_show do.</summary>
    private static string KernelLine(int slot, UdpSocketEntry e)
    {
        static string Hex(IPEndPoint ep)
        {
            byte[] bytes = ep.Address.GetAddressBytes();
            var text = new System.Text.StringBuilder();
            for (int i = 0; i < bytes.Length; i += 4)
            {
                uint word = BitConverter.IsLittleEndian
                    ? BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i))
                    : BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(i));
                text.Append(word.ToString("X8", CultureInfo.InvariantCulture));
            }

            return text.Append(CultureInfo.InvariantCulture, $":{ep.Port:X4}").ToString();
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"{slot,5}: {Hex(e.Local)} {Hex(e.Remote)} {e.State:X2} 00000000:00000000 00:00000000 00000000 {e.Uid,5} {0,8} {e.Inode} 2 0000000000000000 {e.Drops}");
    }

    [Fact]
    public void Generated_kernel_lines_round_trip()
    {
        Gen<(IPEndPoint, IPEndPoint)> pair = Gen.OneOf(Gen.Select(GenV4, GenV4), Gen.Select(GenV6, GenV6));
        Gen.Select(Gen.Int[0, 65535], pair, Gen.Int[1, 12], Gen.UInt, Gen.ULong, Gen.ULong)
            .Sample((slot, ends, state, uid, inode, drops) =>
            {
                var entry = new UdpSocketEntry(ends.Item1, ends.Item2, state, uid, inode, drops);
                Assert.True(ProcNetUdpParser.TryParseLine(KernelLine(slot, entry), out UdpSocketEntry? parsed));
                Assert.Equal(entry, parsed);
            });
    }

    [Fact]
    public void Garbage_and_mutated_real_lines_never_throw()
    {
        string[] real = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Data", "doctor", "host-udp6.txt"));
        Gen.OneOf(
                Gen.String,
                Gen.Select(Gen.Int[0, real.Length - 1], Gen.Int[0, 200], Gen.Char, (line, at, c) =>
                {
                    string s = real[line];
                    int i = Math.Min(at, s.Length - 1);
                    return string.Concat(s.AsSpan(0, i), c.ToString(), s.AsSpan(i + 1));
                }),
                Gen.Select(Gen.Int[0, real.Length - 1], Gen.Int[0, 200], (line, cut) => real[line][..Math.Min(cut, real[line].Length)]))
            .Sample(text =>
            {
                _ = ProcNetUdpParser.Parse(text);
                _ = ProcNetUdpParser.TryParseLine(text, out _);
            });
    }
}
