using System.Net;
using Rebound.Capture;
using Rebound.Capture.Files;
using Rebound.Cli.Tests.Support;

namespace Rebound.Cli.Tests.Analysis;

/// <summary>The pcap and pcapng readers on real tcpdump captures and on hand-built files covering each format variant.</summary>
public sealed class CaptureReaderTests
{
    private static readonly IPEndPoint Client = new(IPAddress.Parse("192.0.2.3"), 40000);
    private static readonly IPEndPoint Server = new(IPAddress.Parse("198.51.100.13"), 53);
    private static readonly IPEndPoint Bridge = new(IPAddress.Parse("192.0.2.1"), 53);

    /// <summary>The naive exchange: request, reply from the bridge, the client's ICMP port unreachable.</summary>
    private static byte[][] NaiveExchange()
    {
        byte[] request = PacketBytes.Udp(Client, Server);
        byte[] reply = PacketBytes.Udp(Bridge, Client);
        return [request, reply, PacketBytes.PortUnreachable(Client.Address, reply)];
    }

    [Fact]
    public void Real_tcpdump_capture_reads_every_frame_in_order()
    {
        List<(long Frame, long Time, LinkType Link, int Length)> packets = ReadAll(Fixtures.Bytes(Fixtures.NaiveDocker0));
        Assert.Equal([1, 2, 3, 4, 5, 6], packets.Select(p => p.Frame));
        Assert.All(packets, p => Assert.Equal(LinkType.Ethernet, p.Link));
        Assert.True(packets.Zip(packets.Skip(1)).All(pair => pair.First.Time <= pair.Second.Time));
        Assert.Equal(PacketKind.PortUnreachable, Decode(Fixtures.NaiveDocker0, frame: 3).Kind);
    }

    [Fact]
    public void Nanosecond_tcpdump_capture_keeps_sub_microsecond_digits()
    {
        CaptureReader reader = Open(Fixtures.Bytes(Fixtures.NaiveV6Nano));
        Assert.Contains("nanosecond", reader.Format, StringComparison.Ordinal);
        var times = new List<long>();
        while (reader.MoveNext())
        {
            times.Add(reader.TimestampNanoseconds);
        }

        Assert.Equal(6, times.Count);
        Assert.Contains(times, t => t % 1000 != 0);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Pcap_in_either_byte_order_and_precision_gives_the_same_packets(bool bigEndian, bool nanoseconds)
    {
        var builder = new PcapFileBuilder(LinkType.Ethernet, bigEndian, nanoseconds);
        long t0 = 1_764_000_000_123_456_789;
        byte[][] frames = [.. NaiveExchange().Select(PacketBytes.Ethernet)];
        for (int i = 0; i < frames.Length; i++)
        {
            builder.Add(t0 + (i * 1_000_001), frames[i]);
        }

        CaptureReader reader = Open(builder.ToArray());
        Assert.Contains(bigEndian ? "big-endian" : "little-endian", reader.Format, StringComparison.Ordinal);
        for (int i = 0; i < frames.Length; i++)
        {
            Assert.True(reader.MoveNext());
            Assert.Equal(i + 1, reader.FrameNumber);
            Assert.Equal(frames[i], reader.Data.ToArray());
            long expected = t0 + (i * 1_000_001);
            Assert.Equal(nanoseconds ? expected : expected / 1000 * 1000, reader.TimestampNanoseconds);
        }

        Assert.False(reader.MoveNext());
    }

    [Theory]
    [InlineData(1)] // Ethernet
    [InlineData(113)] // Linux cooked v1
    [InlineData(276)] // Linux cooked v2
    [InlineData(101)] // raw IP
    [InlineData(0)] // BSD loopback
    public void Every_link_type_decodes_to_the_finding(int linkTypeNumber)
    {
        var linkType = (LinkType)linkTypeNumber;
        Func<byte[], byte[]> frame = linkType switch
        {
            LinkType.Ethernet => PacketBytes.Ethernet,
            LinkType.LinuxSll => PacketBytes.LinuxSll,
            LinkType.LinuxSll2 => PacketBytes.LinuxSll2,
            LinkType.Null => PacketBytes.Null,
            _ => p => p,
        };
        var builder = new PcapFileBuilder(linkType);
        byte[][] packets = NaiveExchange();
        for (int i = 0; i < packets.Length; i++)
        {
            builder.Add(1_000_000_000L * (i + 1), frame(packets[i]));
        }

        using AnalysisRun run = AnalysisRun.Of(builder.ToArray());
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("192.0.2.1:53", Assert.Single(run.Findings).GetProperty("replySource").GetString());
        Assert.True(run.Findings[0].GetProperty("rejectedByClient").GetBoolean());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Pcapng_with_several_interfaces_resolutions_and_block_kinds(bool bigEndian)
    {
        byte[][] packets = NaiveExchange();
        byte[] file = new PcapNgFileBuilder(bigEndian)
            .Section()
            .Interface(LinkType.Ethernet) // 0: default resolution, microseconds
            .Other(4, 20) // name resolution block: skipped
            .Interface(LinkType.Raw, tsresol: 9) // 1: nanoseconds
            .Interface(LinkType.LinuxSll2, tsresol: 0x80 | 20, tsoffsetSeconds: 100) // 2: 2^-20 s units, +100 s
            .Enhanced(0, 1_000_000_000_000_001UL, PacketBytes.Ethernet(packets[0]))
            .Other(0x40000BAD, 16) // custom block: skipped
            .Enhanced(1, 1_000_000_000_000_002_003UL, packets[1])
            .Enhanced(2, 1UL << 20, PacketBytes.LinuxSll2(packets[2]))
            .Other(5, 24) // interface statistics: skipped
            .Simple(PacketBytes.Ethernet(packets[0]))
            .Obsolete(1, 5, packets[1])
            .ToArray();

        CaptureReader reader = Open(file);
        var seen = new List<(long Frame, long Time, LinkType Link)>();
        while (reader.MoveNext())
        {
            seen.Add((reader.FrameNumber, reader.TimestampNanoseconds, reader.LinkType));
            Assert.NotEqual(PacketKind.Other, PacketDecoder.Decode(reader.LinkType, reader.Data).Kind);
        }

        Assert.Equal(
            [
                (1L, 1_000_000_000_000_001_000L, LinkType.Ethernet),
                (2L, 1_000_000_000_000_002_003L, LinkType.Raw),
                (3L, 101_000_000_000L, LinkType.LinuxSll2),
                (4L, 0L, LinkType.Ethernet),
                (5L, 5L, LinkType.Raw),
            ],
            seen);
        Assert.Contains(bigEndian ? "big-endian" : "little-endian", reader.Format, StringComparison.Ordinal);
    }

    [Fact]
    public void Pcapng_sections_reset_interfaces_and_may_change_byte_order()
    {
        byte[][] packets = NaiveExchange();
        byte[] first = new PcapNgFileBuilder(bigEndian: false).Section().Interface(LinkType.Raw).Enhanced(0, 1, packets[0]).ToArray();
        byte[] second = new PcapNgFileBuilder(bigEndian: true).Section().Interface(LinkType.Ethernet).Enhanced(0, 2, PacketBytes.Ethernet(packets[1])).ToArray();
        CaptureReader reader = Open([.. first, .. second]);
        Assert.True(reader.MoveNext());
        Assert.Equal(LinkType.Raw, reader.LinkType);
        Assert.True(reader.MoveNext());
        Assert.Equal((2L, LinkType.Ethernet), (reader.FrameNumber, reader.LinkType));
        Assert.False(reader.MoveNext());
        Assert.Contains("mixed", reader.Format, StringComparison.Ordinal);
    }

    [Fact]
    public void Real_capture_converted_to_pcapng_gives_the_same_finding_and_frames()
    {
        byte[] pcap = Fixtures.Bytes(Fixtures.NaiveDocker0);
        var builder = new PcapNgFileBuilder(bigEndian: true).Section().Interface(LinkType.Ethernet, tsresol: 9);
        CaptureReader reader = Open(pcap);
        while (reader.MoveNext())
        {
            builder.Enhanced(0, (ulong)reader.TimestampNanoseconds, reader.Data.ToArray());
        }

        using AnalysisRun fromPcap = AnalysisRun.Of(pcap);
        using AnalysisRun fromPcapNg = AnalysisRun.Of(builder.ToArray());
        Assert.Equal(1, fromPcapNg.ExitCode);
        Assert.Equal(fromPcap.Findings[0].GetRawText(), fromPcapNg.Findings[0].GetRawText());
    }

    [Fact]
    public void Empty_file_is_an_error_at_offset_zero()
    {
        CaptureFormatException e = Assert.Throws<CaptureFormatException>(() => Open([]));
        Assert.Equal(0, e.Offset);
        Assert.Contains("empty", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_magic_is_named()
    {
        CaptureFormatException e = Assert.Throws<CaptureFormatException>(() => Open("GET / HTTP/1.1\r\n"u8.ToArray()));
        Assert.Contains("not a pcap or pcapng file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_link_type_in_pcap_points_at_the_header_field()
    {
        CaptureFormatException e = Assert.Throws<CaptureFormatException>(() => Open(new PcapFileBuilder((LinkType)147).ToArray()));
        Assert.Equal(20, e.Offset);
        Assert.Contains("unsupported link type 147", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_link_type_in_pcapng_points_at_the_interface_block()
    {
        byte[] file = new PcapNgFileBuilder().Section().Interface((LinkType)189).ToArray();
        CaptureFormatException e = Assert.Throws<CaptureFormatException>(() => ReadAll(file));
        Assert.Equal(28 + 8, e.Offset); // the section header block is 28 bytes; the link type is 8 bytes into the next block
    }

    [Fact]
    public void Truncated_packet_names_the_record_and_where_it_starts()
    {
        byte[] full = new PcapFileBuilder(LinkType.Raw).Add(1, NaiveExchange()[0]).Add(2, NaiveExchange()[1]).ToArray();
        byte[] cut = full[..^5];
        CaptureFormatException e = Assert.Throws<CaptureFormatException>(() => ReadAll(cut));
        int secondRecordData = 24 + 16 + NaiveExchange()[0].Length + 16;
        Assert.Equal(secondRecordData, e.Offset);
        Assert.Contains("packet 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Absurd_record_length_is_corruption_not_an_allocation()
    {
        byte[] file = new PcapFileBuilder(LinkType.Raw).Add(1, NaiveExchange()[0]).ToArray();
        file[24 + 8] = 0xFF;
        file[24 + 11] = 0x7F; // captured length 0x7F0000FF
        CaptureFormatException e = Assert.Throws<CaptureFormatException>(() => ReadAll(file));
        Assert.Equal(24, e.Offset);
    }

    [Fact]
    public void Pcapng_trailing_length_mismatch_and_missing_interface_are_errors()
    {
        byte[] good = new PcapNgFileBuilder().Section().Interface(LinkType.Raw).Enhanced(0, 1, NaiveExchange()[0]).ToArray();
        byte[] badTrailer = (byte[])good.Clone();
        badTrailer[^4] ^= 0x40;
        Assert.Contains("trailing length", Assert.Throws<CaptureFormatException>(() => ReadAll(badTrailer)).Message, StringComparison.Ordinal);

        byte[] noInterface = new PcapNgFileBuilder().Section().Enhanced(0, 1, NaiveExchange()[0]).ToArray();
        CaptureFormatException e = Assert.Throws<CaptureFormatException>(() => ReadAll(noInterface));
        Assert.Equal(28, e.Offset);
        Assert.Contains("interface 0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Header_only_capture_has_no_packets_and_no_findings()
    {
        using AnalysisRun run = AnalysisRun.Of(new PcapFileBuilder(LinkType.Ethernet).ToArray());
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(0, run.Summary.GetProperty("packets").GetInt64());
    }

    internal static CaptureReader Open(byte[] file) => CaptureReader.Open(new MemoryStream(file));

    internal static List<(long Frame, long Time, LinkType Link, int Length)> ReadAll(byte[] file)
    {
        CaptureReader reader = Open(file);
        var packets = new List<(long, long, LinkType, int)>();
        while (reader.MoveNext())
        {
            packets.Add((reader.FrameNumber, reader.TimestampNanoseconds, reader.LinkType, reader.Data.Length));
        }

        return packets;
    }

    private static DecodedPacket Decode(string fixture, long frame)
    {
        CaptureReader reader = Open(Fixtures.Bytes(fixture));
        while (reader.MoveNext())
        {
            if (reader.FrameNumber == frame)
            {
                return PacketDecoder.Decode(reader.LinkType, reader.Data);
            }
        }

        throw new InvalidOperationException($"no frame {frame}");
    }
}
