using CsCheck;
using Rebound.Capture.Analysis;
using Rebound.Cli.Analysis;
using Rebound.Capture;
using Rebound.Capture.Files;
using Rebound.Cli.Tests.Support;

namespace Rebound.Cli.Tests.Analysis;

/// <summary>
/// Whatever the bytes, reading a capture ends normally or with a <see cref="CaptureFormatException"/> whose offset lies
/// inside the file; decoding and analyzing what was read never throws. Seeds: the real captures under Data/ and
/// hand-built pcapng files.
/// </summary>
public sealed class CaptureReaderFuzzTests
{
    private static readonly byte[][] Corpus = [.. Fixtures.All.Select(Fixtures.Bytes), .. HandBuiltPcapNg()];

    [Fact]
    public void Random_bytes_never_escape_as_another_exception() =>
        Gen.Byte.Array[0, 600].Sample(ReadsCleanly, iter: 3000);

    [Fact]
    public void Random_bytes_behind_a_valid_magic_never_escape() =>
        Gen.Select(Gen.Int[0, 3], Gen.Byte.Array[0, 600]).Sample((kind, tail) =>
        {
            byte[] magic = kind switch
            {
                0 => [0xD4, 0xC3, 0xB2, 0xA1],
                1 => [0xA1, 0xB2, 0x3C, 0x4D],
                2 => [0x0A, 0x0D, 0x0D, 0x0A],
                _ => [0x0A, 0x0D, 0x0D, 0x0A, 0x1C, 0, 0, 0, 0x4D, 0x3C, 0x2B, 0x1A],
            };
            ReadsCleanly([.. magic, .. tail]);
        }, iter: 3000);

    [Fact]
    public void Mutated_real_captures_never_escape() =>
        Gen.Select(Gen.Int[0, Corpus.Length - 1], Gen.Select(Gen.Int[0, 4096], Gen.Byte).Array[1, 8]).Sample((index, edits) =>
        {
            byte[] file = (byte[])Corpus[index].Clone();
            foreach ((int position, byte value) in edits)
            {
                file[position % file.Length] = value;
            }

            ReadsCleanly(file);
        }, iter: 3000);

    [Fact]
    public void Truncation_at_every_offset_is_a_clean_error_or_a_shorter_capture()
    {
        foreach (byte[] full in Corpus)
        {
            int complete = Read(full).Packets;
            for (int length = 0; length < full.Length; length++)
            {
                (int packets, CaptureFormatException? error) = Read(full[..length]);
                Assert.True(packets <= complete);
                if (error is not null)
                {
                    Assert.InRange(error.Offset, 0, length);
                }
                else
                {
                    Assert.True(length >= 24, $"a {length}-byte prefix cannot be a whole capture");
                }
            }
        }
    }

    private static void ReadsCleanly(byte[] file)
    {
        (_, CaptureFormatException? error) = Read(file);
        if (error is not null)
        {
            Assert.InRange(error.Offset, 0, file.Length);
        }
    }

    private static (int Packets, CaptureFormatException? Error) Read(byte[] file)
    {
        var analyzer = new FlowAnalyzer(TimeSpan.FromSeconds(2));
        int packets = 0;
        try
        {
            CaptureReader reader = CaptureReader.Open(new MemoryStream(file));
            while (reader.MoveNext())
            {
                packets++;
                analyzer.Observe(reader.FrameNumber, reader.TimestampNanoseconds, PacketDecoder.Decode(reader.LinkType, reader.Data));
                _ = reader.Format;
            }

            return (packets, null);
        }
        catch (CaptureFormatException e)
        {
            return (packets, e);
        }
    }

    private static IEnumerable<byte[]> HandBuiltPcapNg()
    {
        byte[] udp = PacketBytes.Udp(new(System.Net.IPAddress.Parse("192.0.2.3"), 4000), new(System.Net.IPAddress.Parse("198.51.100.13"), 53));
        foreach (bool bigEndian in new[] { false, true })
        {
            yield return new PcapNgFileBuilder(bigEndian).Section().Interface(LinkType.Ethernet, tsresol: 9).Other(4, 8)
                .Enhanced(0, 5, PacketBytes.Ethernet(udp)).Simple(PacketBytes.Ethernet(udp)).Obsolete(0, 7, PacketBytes.Ethernet(udp)).ToArray();
        }
    }
}
