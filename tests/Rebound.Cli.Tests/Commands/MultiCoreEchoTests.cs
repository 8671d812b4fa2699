using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Rebound.Cli.Tests.Support;

namespace Rebound.Cli.Tests.Commands;

/// <summary><c>rebound echo --sockets N --batch N</c>: the multi-core batched server, started the way a benchmark starts it.</summary>
public sealed class MultiCoreEchoTests
{
    [Fact]
    public void Multi_core_echo_answers_from_the_asked_address_and_exits_after_count() =>
        EchoThenConnect(["--sockets", "2", "--batch", "8"], "with 2 sockets, batches of 8", "127.0.0.2");

    // 127.0.0.1 is an interface address, so it has its own socket (127.0.0.2 would not: see docs/library.md). Two threads
    // share the sockets: the replies must still come in order.
    [Fact]
    public void Per_address_echo_answers_the_asked_address_on_its_own_socket() =>
        EchoThenConnect(["--per-address", "--sockets", "2"], "with 2 threads on one socket per local address", "127.0.0.1");

    private static void EchoThenConnect(string[] echoOptions, string startLine, string target)
    {
        int port = FreeUdpPort();
        using Process echo = CliProcess.Start(["echo", .. echoOptions, "-c", "2", "-l", $"0.0.0.0:{port}"]);
        try
        {
            CliProcess.WaitForStderr(echo, startLine);

            (int exit, string output, _) = CliProcess.Run("hello\nhi\n", "connect", $"{target}:{port}", "--source", "127.0.0.1", "-w", "1");

            Assert.Equal("hello\nhi\n", output);
            Assert.Equal(0, exit);
            Assert.True(echo.WaitForExit(TimeSpan.FromSeconds(10)));
            Assert.Equal(0, echo.ExitCode);
            Assert.Contains("2 received, 2 answered, 0 replies failed", echo.StandardError.ReadToEnd(), StringComparison.Ordinal);
        }
        finally
        {
            if (!echo.HasExited)
            {
                echo.Kill();
                echo.WaitForExit();
            }
        }
    }

    [Theory]
    [InlineData("echo", "--naive", "--per-address")]
    [InlineData("echo", "--batch", "5000")]
    [InlineData("echo", "--sockets", "-1")]
    [InlineData("echo", "--naive", "--sockets", "2")]
    [InlineData("echo", "--async", "--batch", "8")]
    [InlineData("echo", "--async", "--naive")]
    [InlineData("echo", "--join", "192.0.2.1")]
    [InlineData("echo", "--per-address", "--join", "233.252.0.1")]
    public void Impossible_multi_core_settings_are_usage_errors(params string[] arguments)
    {
        (int exit, _, string error) = CliProcess.Run("", arguments);

        Assert.Equal(2, exit);
        Assert.StartsWith("rebound echo:", error, StringComparison.Ordinal);
    }

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Any, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
