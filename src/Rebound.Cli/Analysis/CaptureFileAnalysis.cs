using Rebound.Capture;
using Rebound.Capture.Analysis;
using Rebound.Capture.Files;
using Rebound.Cli.Infrastructure;

namespace Rebound.Cli.Analysis;

/// <summary>What <c>rebound analyze</c> was asked to do.</summary>
internal sealed record AnalyzeSettings(string Path, TimeSpan Window, bool Json);

/// <summary>
/// <c>rebound analyze FILE</c>: streams a pcap/pcapng file through <see cref="FlowAnalyzer"/> and reports the findings.
/// Exit 0 without findings, 1 with, 2 for a file that cannot be read (with the byte offset of the problem).
/// </summary>
internal static class CaptureFileAnalysis
{
    public static int Run(AnalyzeSettings settings, TextWriter output, TextWriter error, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var analyzer = new FlowAnalyzer(settings.Window);
        string format = "?";
        LinkType? linkType = null;
        try
        {
            using Stream file = settings.Path == "-"
                ? new BufferedStream(Console.OpenStandardInput(), 1 << 20)
                : new FileStream(settings.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1 << 20, FileOptions.SequentialScan);
            CaptureReader reader = CaptureReader.Open(file);
            format = reader.Format;

            // A big capture takes a while: on a terminal, stderr says how far the reading is (erased before the report).
            using ProgressLine? progress = error == Console.Error ? ProgressLine.OnStandardError($"rebound analyze: reading {settings.Path}") : null;
            while (reader.MoveNext())
            {
                cancellation.ThrowIfCancellationRequested();
                DecodedPacket packet = PacketDecoder.Decode(reader.LinkType, reader.Data);
                analyzer.Observe(reader.FrameNumber, reader.TimestampNanoseconds, packet);
                if (progress is not null && (reader.FrameNumber & 0xFFF) == 0)
                {
                    progress.Report(Progress(settings.Path, file, reader.FrameNumber, analyzer.Findings.Count));
                }
            }

            format = reader.Format;
            linkType = analyzer.Summary.Packets > 0 ? reader.LinkType : null;
        }
        catch (CaptureFormatException e)
        {
            return Fail(settings, output, error, $"{settings.Path}: {e.Message}" +
                (analyzer.Summary.Packets > 0 ? $"; {analyzer.Summary.Packets} packet(s) before it were read" : ""));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Fail(settings, output, error, $"{settings.Path}: no such file");
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return Fail(settings, output, error, $"{settings.Path}: cannot read: {e.Message}");
        }

        if (settings.Json)
        {
            JsonReport.WriteDocument(output, settings.Path, format, linkType, analyzer);
        }
        else
        {
            if (analyzer.Summary.Packets == 0)
            {
                error.WriteLine($"rebound analyze: note: {settings.Path} holds no packets (a file header only).");
            }

            HumanReport.WriteReport(HumanReport.ConsoleFor(output), settings.Path, format, analyzer);
        }

        return analyzer.Findings.Count > 0 ? ExitCodes.Finding : ExitCodes.Success;
    }

    private static string Progress(string path, Stream file, long frames, int findings)
    {
        string where = file.CanSeek && file.Length > 0
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{100.0 * file.Position / file.Length:0} %, ")
            : "";
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"rebound analyze: reading {path}: {where}{frames:N0} packets, {findings} finding(s) so far");
    }

    private static int Fail(AnalyzeSettings settings, TextWriter output, TextWriter error, string message)
    {
        error.WriteLine($"rebound analyze: {message}");
        if (settings.Json)
        {
            JsonReport.WriteError(output, settings.Path, message);
        }

        return ExitCodes.Usage;
    }
}
