using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Rebound.Cli.Tests.Hostile;

/// <summary>
/// Issue 11 item 11: Ctrl-C (SIGINT) and SIGTERM end every echo mode with exit 0 and its final statistics line, on
/// loopback (no root needed).
/// </summary>
public sealed partial class EchoSignalTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    [InlineData("INT", "--async")]
    [InlineData("TERM", "--async")]
    [InlineData("INT", "--naive")]
    [InlineData("TERM", "--sockets", "2")]
    public void A_signal_ends_echo_with_its_totals_line(string signal, params string[] mode)
    {
        using ServerProcess echo = ServerProcess.Cli(null, ["echo", "-l", "127.0.0.1:0", .. mode]);
        echo.WaitForError("listening on");
        Match listening = ListeningLine().Match(echo.Error);
        Assert.True(listening.Success, echo.Error);
        var server = new IPEndPoint(IPAddress.Loopback, int.Parse(listening.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture));

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
        client.Connect(server);
        for (int i = 0; i < 3; i++)
        {
            client.Send("ping"u8);
            Assert.Equal(4, client.Receive(new byte[16]));
        }

        echo.Signal(signal);
        int exit = echo.WaitForExit(TimeSpan.FromSeconds(30));
        string last = echo.Error.TrimEnd().Split('\n')[^1];
        output.WriteLine($"rebound echo {string.Join(' ', mode)}, SIG{signal} after 3 exchanges → exit {exit}: {last}");
        Assert.Equal(0, exit);
        Assert.Equal("rebound echo: 3 received, 3 answered, 0 replies failed.", last);
    }

    [GeneratedRegex(@"listening on 127\.0\.0\.1:(?<port>\d+)")]
    private static partial Regex ListeningLine();
}
