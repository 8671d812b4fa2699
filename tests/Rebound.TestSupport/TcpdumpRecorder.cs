using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Rebound.Lab;

namespace Rebound.TestSupport;

/// <summary>
/// Runs the real tcpdump inside a test namespace, writing a capture file; waits until it is listening, and stops it with
/// SIGINT (so it flushes and closes the file) or kills it after a bound. Set REBOUND_SAVE_CAPTURES=DIR to keep copies
/// (that is how the fixtures under Data/ were made).
/// </summary>
public sealed partial class TcpdumpRecorder : IDisposable
{
    private readonly Process _process;
    private readonly string _name;

    private TcpdumpRecorder(Process process, string path, string name)
    {
        _process = process;
        Path = path;
        _name = name;
    }

    /// <summary>Where the capture is written.</summary>
    public string Path { get; }

    /// <summary>Starts <c>tcpdump -U -w FILE ARGS…</c> in <paramref name="ns"/>; <paramref name="name"/> names the file.</summary>
    public static TcpdumpRecorder Start(NetworkNamespace ns, string name, params string[] arguments) => Start(ns.Name, name, arguments);

    /// <summary>The same in a namespace known by name only (one the Docker harness made).</summary>
    public static TcpdumpRecorder Start(string netns, string name, params string[] arguments)
    {
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"rebound-{Environment.ProcessId}-{Guid.NewGuid():N}-{name}");
        var start = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        // An 8 MiB kernel buffer: with --immediate-mode and the default one, tcpdump dropped 30–90 frames of a 64-frame burst.
        string[] buffer = arguments.Contains("-B") ? [] : ["-B", "8192"];
        foreach (string a in (string[])["netns", "exec", netns, "tcpdump", "-n", "-U", "--immediate-mode", "-Z", "root", "-w", path, .. buffer, .. arguments])
        {
            start.ArgumentList.Add(a);
        }

        var process = Process.Start(start)!;
        var recorder = new TcpdumpRecorder(process, path, name);
        // tcpdump says "listening on IFACE" on stderr once the capture is open.
        // (Other notes, such as "data link type LINUX_SLL2", may come first.)
        var said = new System.Text.StringBuilder();
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            Task<string?> line = process.StandardError.ReadLineAsync();
            TimeSpan left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !line.Wait(left) || line.Result is null)
            {
                recorder.Dispose();
                throw new InvalidOperationException($"tcpdump did not start: {said}");
            }

            said.AppendLine(line.Result);
            if (line.Result.Contains("listening on", StringComparison.Ordinal))
            {
                break;
            }
        }

        _ = process.StandardError.ReadToEndAsync();
        return recorder;
    }

    /// <summary>Stops tcpdump cleanly (SIGINT) and returns the file path.</summary>
    public string Stop()
    {
        Thread.Sleep(200); // let the last ICMP reach the wire and the capture
        if (!_process.HasExited)
        {
            ProcessRunner.Run("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            if (!_process.WaitForExit(5000))
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
        }

        if (Environment.GetEnvironmentVariable("REBOUND_SAVE_CAPTURES") is { Length: > 0 } keep)
        {
            File.Copy(Path, System.IO.Path.Combine(keep, _name), overwrite: true);
        }

        return Path;
    }

    /// <summary>
    /// The UDP length (payload bytes) of every frame in <paramref name="pcap"/> that matches <paramref name="filter"/>,
    /// as <c>tcpdump -r</c> prints it: a segmented (GSO) send that travelled whole is one frame holding every datagram;
    /// a fragmented datagram shows once (only its first fragment carries the UDP header).
    /// </summary>
    public static List<int> ReadUdpLengths(string pcap, string filter)
    {
        ProcessResult read = ProcessRunner.Run("tcpdump", ["-n", "-r", pcap, filter]);
        if (!read.Succeeded)
        {
            throw new InvalidOperationException($"tcpdump -r {pcap} failed: {read.StandardError}");
        }

        return [.. UdpLength().Matches(read.StandardOutput).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))];
    }

    [GeneratedRegex(@"UDP, (?:bad )?length (\d+)")]
    private static partial Regex UdpLength();

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
        File.Delete(Path);
    }
}
