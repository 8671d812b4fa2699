using System.Diagnostics;
using System.Net;
using Rebound.Capture;
using Rebound.Cli.Infrastructure;
using Rebound.Cli.Tests.Support;
using Rebound.Lab;
using Rebound.TestSupport;

namespace Rebound.Cli.Tests.Language;

/// <summary>
/// analyze's progress line (docs/output.md): while it reads a capture for more than a second, a terminal's stderr
/// shows how far it got, and the line is erased before the report; with stderr not a terminal nothing is written.
/// The capture is a real pcap that the test writes into a named pipe in two parts and holds open between them, so
/// the run lasts as long as the test needs (no race against a fast machine) and the counter shown is known.
/// </summary>
public sealed class AnalyzeProgressTests
{
    // The progress text is refreshed every 4,096 packets, so the first part ends exactly on one refresh.
    private const int FirstPart = 4096;

    [ToolFact("tmux", "mkfifo")]
    public void Analyze_shows_how_far_it_read_on_a_terminal_and_erases_the_line_before_the_report()
    {
        (byte[] head, byte[] tail) = Capture();
        string folder = Directory.CreateTempSubdirectory("rb-analyze-progress-").FullName;
        try
        {
            string fifo = MakeFifo(folder);
            string report = Path.Combine(folder, "report.txt");
            using TmuxTerminal terminal = TmuxTerminal.Run(120, $"{TmuxTerminal.Cli} analyze {fifo} > {report}");
            using (FileStream writer = OpenWriter(fifo))
            {
                writer.Write(head);
                writer.Flush();

                // analyze now waits for more packets: the line appears after a second, with the count it reached.
                terminal.WaitFor(
                    s => s.Any(l => l.StartsWith($"rebound analyze: reading {fifo}: 4,096 packets, 0 finding(s) so far", StringComparison.Ordinal)),
                    "the progress line at 4,096 packets");
                writer.Write(tail);
            }

            (int exit, string[] screen) = terminal.WaitForExit();

            Assert.Equal(ExitCodes.Finding, exit);
            Assert.DoesNotContain(screen, l => l.Contains("rebound analyze: reading", StringComparison.Ordinal));
            Assert.Contains("reply from unexpected source 192.0.2.1", File.ReadAllText(report), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [ToolFact("mkfifo")]
    public void Analyze_writes_no_progress_when_stderr_is_not_a_terminal()
    {
        (byte[] head, byte[] tail) = Capture();
        string folder = Directory.CreateTempSubdirectory("rb-analyze-progress-").FullName;
        try
        {
            string fifo = MakeFifo(folder);
            var clock = Stopwatch.StartNew();
            using Process analyze = CliProcess.Start("analyze", fifo);
            Task<string> output = analyze.StandardOutput.ReadToEndAsync();
            Task<string> error = analyze.StandardError.ReadToEndAsync();
            using (FileStream writer = OpenWriter(fifo))
            {
                writer.Write(head);
                writer.Flush();

                // Keep the run going well past the point where a terminal would show the line (this is no assertion).
                while (clock.Elapsed < ProgressLine.Delay * 3)
                {
                    Thread.Sleep(100);
                }

                writer.Write(tail);
            }

            Assert.True(analyze.WaitForExit(TimeSpan.FromMinutes(1)), "analyze did not finish");
            Assert.Equal(ExitCodes.Finding, analyze.ExitCode);
            Assert.Contains("reply from unexpected source 192.0.2.1", output.Result, StringComparison.Ordinal);
            Assert.DoesNotContain("reading", error.Result, StringComparison.Ordinal);
            Assert.DoesNotContain("\r", error.Result, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Opens the pipe for writing, which waits for analyze to open it; fails instead of hanging if it never does.</summary>
    private static FileStream OpenWriter(string fifo)
    {
        Task<FileStream> open = Task.Run(() => new FileStream(fifo, FileMode.Open, FileAccess.Write));
        Assert.True(open.Wait(TimeSpan.FromMinutes(1)), "analyze never opened the capture");
        return open.Result;
    }

    private static string MakeFifo(string folder)
    {
        string fifo = Path.Combine(folder, "capture.pcap");
        ProcessResult made = ProcessRunner.Run("mkfifo", [fifo]);
        Assert.True(made.Succeeded, made.StandardError);
        return fifo;
    }

    /// <summary>
    /// An Ethernet pcap cut in two: first <see cref="FirstPart"/> DNS requests that are answered correctly, then a
    /// request answered from the wrong address (192.0.2.1, the bridge) and the client's ICMP rejecting it.
    /// </summary>
    private static (byte[] Head, byte[] Tail) Capture()
    {
        var server = new IPEndPoint(IPAddress.Parse("198.51.100.13"), 53);
        var builder = new PcapFileBuilder(LinkType.Ethernet);
        long time = 1_764_000_000_000_000_000;
        for (int i = 0; i < FirstPart; i++)
        {
            var client = new IPEndPoint(IPAddress.Parse("192.0.2.10"), 20000 + (i / 2));
            builder.Add(time += 1000, i % 2 == 0
                ? PacketBytes.Ethernet(PacketBytes.Udp(client, server, seed: i))
                : PacketBytes.Ethernet(PacketBytes.Udp(server, client, seed: i)));
        }

        int headLength = builder.ToArray().Length;
        var victim = new IPEndPoint(IPAddress.Parse("192.0.2.10"), 40000);
        byte[] wrongReply = PacketBytes.Udp(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 53), victim, seed: 1);
        builder.Add(time += 1000, PacketBytes.Ethernet(PacketBytes.Udp(victim, server, seed: 1)));
        builder.Add(time += 1000, PacketBytes.Ethernet(wrongReply));
        builder.Add(time += 1000, PacketBytes.Ethernet(PacketBytes.PortUnreachable(victim.Address, wrongReply)));
        byte[] all = builder.ToArray();
        return (all[..headLength], all[headLength..]);
    }
}
