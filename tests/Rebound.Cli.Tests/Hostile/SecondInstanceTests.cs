using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Rebound.Lab;
using Xunit.Abstractions;

namespace Rebound.Cli.Tests.Hostile;

/// <summary>
/// Issue 11 item 7 from the command line: a second multi-socket echo or DNS sample on a port already served exits 3
/// ("address in use") instead of silently taking part of the traffic, although two plain SO_REUSEPORT sockets of the
/// same user share a port; and who may join an SO_REUSEPORT group at all: the same effective user only.
/// </summary>
public sealed partial class SecondInstanceTests(ITestOutputHelper output)
{
    [Fact]
    public void A_second_multi_socket_echo_on_a_served_port_exits_3()
    {
        using ServerProcess first = ServerProcess.Cli(null, "echo", "-l", "127.0.0.1:0", "--sockets", "2");
        first.WaitForError("listening on");
        int port = int.Parse(Port().Match(first.Error).Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);

        using ServerProcess second = ServerProcess.Cli(null, "echo", "-l", $"127.0.0.1:{port}", "--sockets", "2");
        int exit = second.WaitForExit(TimeSpan.FromSeconds(30));
        output.WriteLine($"second rebound echo --sockets 2 on 127.0.0.1:{port}: exit {exit}: {second.Error.Trim()}");
        Assert.Equal(3, exit);
        Assert.Contains("already uses that port", second.Error, StringComparison.Ordinal);
        Assert.False(first.HasExited);
    }

    [Fact]
    public void A_second_dns_sample_on_a_served_port_exits_3()
    {
        int port = FreePort();
        using ServerProcess first = DnsQueries.StartResponder(null, "-l", $"127.0.0.1:{port}", "--threads", "2");
        first.WaitForError("listening on");
        using ServerProcess second = DnsQueries.StartResponder(null, "-l", $"127.0.0.1:{port}", "--threads", "2");
        int exit = second.WaitForExit(TimeSpan.FromSeconds(30));
        output.WriteLine($"second DnsResponder --threads 2 on 127.0.0.1:{port}: exit {exit}: {second.Error.Trim().Split('\n')[^1]}");
        Assert.Equal(3, exit);
        Assert.False(first.HasExited);
    }

    [RootFact]
    public void Only_the_same_effective_user_can_join_a_ReusePort_group()
    {
        using ReboundSocket shared = ReboundSocket.Bind("127.0.0.1:0", new ReboundSocketOptions { ReusePort = true });
        int port = shared.LocalEndPoint.Port;
        string join =
            "import socket\n" +
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n" +
            "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)\n" +
            "try:\n" +
            $"    s.bind(('127.0.0.1', {port})); print('joined')\n" +
            "except OSError as e:\n" +
            "    print(e.strerror)\n";
        ProcessResult sameUser = ProcessRunner.Run("python3", ["-c", join]);
        ProcessResult otherUser = ProcessRunner.Run("runuser", ["-u", "nobody", "--", "python3", "-c", join]);
        output.WriteLine($"an SO_REUSEPORT socket of root on 127.0.0.1:{port}: root joins → {sameUser.StandardOutput.Trim()}; nobody → {otherUser.StandardOutput.Trim()}");
        Assert.Equal("joined", sameUser.StandardOutput.Trim());
        Assert.Equal("Address already in use", otherUser.StandardOutput.Trim());
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    [GeneratedRegex(@"listening on 127\.0\.0\.1:(?<port>\d+)")]
    private static partial Regex Port();
}
