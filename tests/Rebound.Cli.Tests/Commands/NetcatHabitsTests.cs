using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Rebound.Cli.Tests.Output;
using Rebound.Cli.Tests.Support;

namespace Rebound.Cli.Tests.Commands;

/// <summary>
/// The flags people type from nc work (docs/cli.md): <c>-u</c>, <c>-l -p</c>, <c>-s</c>, <c>-w</c> and <c>ADDR PORT</c>,
/// on real processes over loopback; and <c>echo -v --json</c> streams one schema-valid line per datagram.
/// </summary>
public sealed class NetcatHabitsTests
{
    [Fact]
    public void Connect_with_nc_flags_through_echo_with_nc_flags()
    {
        int port = FreeUdpPort();
        using Process server = CliProcess.Start("echo", "-u", "--async", "-l", $"0.0.0.0:{port}");
        try
        {
            CliProcess.WaitForStderr(server, "listening on");

            (int exit, string output, string error) = CliProcess.Run("hello\n", "connect", "-u", "-w", "1", "-s", "127.0.0.1", "127.0.0.2", $"{port}");

            Assert.True(exit == 0, error);
            Assert.Equal("hello\n", output);
        }
        finally
        {
            server.Kill();
            server.WaitForExit();
        }
    }

    [Fact]
    public void Listen_with_nc_flags_prints_what_a_client_sends()
    {
        int port = FreeUdpPort();
        using Process listen = CliProcess.Start("listen", "-u", "-l", "-p", $"{port}", "-s", "127.0.0.1");
        try
        {
            CliProcess.WaitForStderr(listen, "127.0.0.1");
            CliProcess.Run("ping\n", "connect", "-u", "-w", "0.2", $"127.0.0.1:{port}");
            listen.StandardInput.Close();
            Assert.True(listen.WaitForExit(TimeSpan.FromSeconds(10)) || Kill(listen));

            Assert.Equal("ping\n", listen.StandardOutput.ReadToEnd());
        }
        finally
        {
            Kill(listen);
        }
    }

    [Theory]
    [InlineData("connect", "-4", "[2001:db8::1]:53")]
    [InlineData("connect", "-6", "127.0.0.1:53")]
    [InlineData("connect", "-4", "-6", "127.0.0.1:53")]
    [InlineData("connect", "127.0.0.1", "99999")]
    [InlineData("listen", "-u")]
    [InlineData("listen", "-4", "[::1]:0")]
    [InlineData("echo", "--json")]
    public void Contradictions_are_usage_errors_that_say_why(params string[] arguments)
    {
        (int exit, _, string error) = CliProcess.Run("", arguments);

        Assert.Equal(2, exit);
        Assert.StartsWith($"rebound {arguments[0]}:", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Echo_verbose_json_is_one_schema_valid_line_per_datagram()
    {
        int port = FreeUdpPort();
        using Process echo = CliProcess.Start("echo", "-v", "--json", "-c", "2", "-l", $"[::]:{port}");
        CliProcess.WaitForStderr(echo, "listening on");

        CliProcess.Run("one\ntwo\n", "connect", $"127.0.0.2:{port}", "-s", "127.0.0.1", "-w", "1");
        Assert.True(echo.WaitForExit(TimeSpan.FromSeconds(10)) || Kill(echo));

        IReadOnlyList<JsonElement> lines = JsonSchemaAssert.ValidLines("echo", echo.StandardOutput.ReadToEnd());
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l =>
        {
            Assert.Equal("datagram", l.GetProperty("event").GetString());
            Assert.StartsWith("127.0.0.1:", l.GetProperty("client").GetString(), StringComparison.Ordinal);
            Assert.Equal($"127.0.0.2:{port}", l.GetProperty("server").GetString());
            Assert.Equal($"127.0.0.2:{port}", l.GetProperty("replySource").GetString());
            Assert.Equal("lo", l.GetProperty("interface").GetString());
        });
    }

    private static bool Kill(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit();
        }

        return true;
    }

    private static int FreeUdpPort() => Bench.LoadGeneratorTests.FreeUdpPort();
}
