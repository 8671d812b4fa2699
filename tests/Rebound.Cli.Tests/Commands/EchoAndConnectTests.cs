using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Rebound.Cli.Tests.Support;

namespace Rebound.Cli.Tests.Commands;

/// <summary>
/// The README's first demonstration, run for real on loopback: `rebound echo` answers a client bound to 127.0.0.1 that
/// asks 127.0.0.2; `rebound echo --naive` does not, and `rebound connect` says so with exit code 1.
/// </summary>
public sealed class EchoAndConnectTests
{
    [Theory]
    [InlineData("", 0, "hello\nhi\n")]
    [InlineData("--async", 0, "hello\nhi\n")]
    [InlineData("--naive", 1, "")]
    public void Connect_through_a_wildcard_echo_server(string mode, int expectedExit, string expectedOutput)
    {
        int port = FreeUdpPort();
        bool naive = mode == "--naive";
        string[] echoArgs = mode.Length > 0 ? ["echo", mode, "-l", $"0.0.0.0:{port}"] : ["echo", "-l", $"0.0.0.0:{port}"];
        using Process echo = CliProcess.Start(echoArgs);
        try
        {
            // The default is the batched multi-core server; --async the single-socket loop.
            CliProcess.WaitForStderr(echo, mode.Length == 0 ? $"with {Environment.ProcessorCount} sockets, batches of 32" : "listening on");

            (int exit, string output, string error) = CliProcess.Run("hello\nhi\n", "connect", $"127.0.0.2:{port}", "--source", "127.0.0.1", "-w", "1");

            Assert.Equal(expectedOutput, output);
            Assert.Equal(expectedExit, exit);
            if (naive)
            {
                Assert.Contains("no reply", error, StringComparison.Ordinal);
            }
        }
        finally
        {
            echo.Kill();
            echo.WaitForExit();
        }
    }

    [Fact]
    public void Echo_verbose_names_remote_local_interface_and_size()
    {
        int port = FreeUdpPort();
        using Process echo = CliProcess.Start("echo", "-v", "-c", "1", "-l", $"[::]:{port}");
        CliProcess.WaitForStderr(echo, "listening on");

        CliProcess.Run("hello\n", "connect", $"127.0.0.2:{port}", "--source", "127.0.0.1", "-w", "1");
        Assert.True(echo.WaitForExit(TimeSpan.FromSeconds(10)));
        string line = echo.StandardOutput.ReadToEnd();

        Assert.Matches(@"\[::ffff:127\.0\.0\.1\]:\d+ -> \[::ffff:127\.0\.0\.2\]:\d+ via lo\(1\) 6 bytes", line);
        Assert.Equal(0, echo.ExitCode);
    }

    [Theory]
    [InlineData("echo", "-l", "nonsense")]
    [InlineData("echo", "-l", "1.2.3.4:99999")]
    [InlineData("connect", "2001:db8::1:53")]
    [InlineData("connect", "127.0.0.1:0")]
    [InlineData("listen", "[::1]")]
    [InlineData("frobnicate")]
    public void Bad_addresses_and_unknown_commands_are_usage_errors(params string[] arguments)
    {
        (int exit, _, string error) = CliProcess.Run("", arguments);

        Assert.Equal(2, exit);
        Assert.StartsWith("rebound", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_port_in_use_is_a_network_error_with_a_hint()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        holder.Bind(new IPEndPoint(IPAddress.Any, 0));
        int port = ((IPEndPoint)holder.LocalEndPoint!).Port;

        (int exit, _, string error) = CliProcess.Run("", "echo", "-l", $"0.0.0.0:{port}");

        Assert.Equal(3, exit);
        Assert.Contains("already uses that port", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Tcp_connect_and_listen_carry_a_line_each_way()
    {
        int port = FreeTcpPort();
        using Process listen = CliProcess.Start("listen", "--tcp", $"127.0.0.1:{port}");
        CliProcess.WaitForStderr(listen, "TCP on");
        listen.StandardInput.WriteLine("from server");
        listen.StandardInput.Flush();

        (int exit, string output, _) = CliProcess.Run("from client\n", "connect", "--tcp", $"127.0.0.1:{port}", "-w", "1");
        listen.StandardInput.Close();
        Assert.True(listen.WaitForExit(TimeSpan.FromSeconds(10)));

        Assert.Equal(0, exit);
        Assert.Equal("from server\n", output);
        Assert.Equal("from client\n", listen.StandardOutput.ReadToEnd());
    }

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
        socket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
