using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Rebound.Cli.Tests.Output;
using Rebound.Cli.Tests.Support;

namespace Rebound.Cli.Tests.Bench;

/// <summary>
/// The real <c>rebound bench</c> against the real <c>rebound echo</c>, both as child processes. Clients bound to
/// 127.0.0.1 ask 127.0.0.2: the naive server's replies leave from 127.0.0.1 and are dropped by the connected clients
/// (~100 % loss, exit 1); Rebound's leave from 127.0.0.2 and all arrive. Same setup, opposite results: the measurement
/// sees the bug.
/// </summary>
public class BenchCommandTests
{
    [Fact]
    public void Against_rebound_echo_asked_on_another_local_address_nothing_is_lost()
    {
        (int exit, JsonElement result, string error) = BenchAgainstEcho(naive: false);

        Assert.True(exit == 0, error);
        Assert.True(result.GetProperty("replies").GetInt64() > 0);
        Assert.Equal(0, result.GetProperty("lost").GetInt64());
        Assert.Equal(result.GetProperty("sent").GetInt64(), result.GetProperty("replies").GetInt64());
        Assert.True(result.GetProperty("repliesPerSecond").GetDouble() > 0);
        Assert.True(result.GetProperty("latencyMicroseconds").GetProperty("p50").GetDouble() > 0);
    }

    [Fact]
    public void Against_naive_echo_asked_on_another_local_address_every_reply_is_lost()
    {
        (int exit, JsonElement result, string error) = BenchAgainstEcho(naive: true);

        Assert.Equal(1, exit);
        Assert.Equal(0, result.GetProperty("replies").GetInt64());
        Assert.True(result.GetProperty("sent").GetInt64() > 0);
        Assert.True(result.GetProperty("lossRatio").GetDouble() >= 0.99, result.ToString());
        Assert.Contains("no reply came back", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Nothing_listening_exits_1_and_says_port_unreachable()
    {
        int port = LoadGeneratorTests.FreeUdpPort();
        (int exit, string output, string error) = CliProcess.Run("", "bench", $"127.0.0.1:{port}", "-d", "0.3", "--warmup", "0", "--loss-timeout", "0.1");

        Assert.Equal(1, exit);
        Assert.Contains("ICMP port unreachable", error, StringComparison.Ordinal);
        Assert.Contains("lost", output, StringComparison.Ordinal); // the table is still printed
    }

    [Fact]
    public void A_source_address_this_host_does_not_have_exits_3()
    {
        (int exit, _, string error) = CliProcess.Run("", "bench", "127.0.0.1:9", "--source", "192.0.2.77", "-d", "0.2", "--warmup", "0");

        Assert.Equal(3, exit);
        Assert.Contains("cannot bind the client sockets to 192.0.2.77:0: that address is not configured", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:5 --sockets 0")]
    [InlineData("127.0.0.1:5 --size 8")]
    [InlineData("127.0.0.1:5 --size 65000 --sockets 64 --in-flight 1024")]
    [InlineData("127.0.0.1:5 --duration 0")]
    [InlineData("127.0.0.1:5 --source ::1")]
    [InlineData("127.0.0.1:5 --source nonsense")]
    [InlineData("127.0.0.1:5 --server-pid 2147483647")]
    [InlineData("127.0.0.1:5 --cpu 4000")]
    [InlineData("bench serve --impl fastest")]
    public void Bad_arguments_exit_2_with_a_message(string arguments)
    {
        string[] args = arguments.StartsWith("bench ", StringComparison.Ordinal)
            ? arguments.Split(' ')
            : ["bench", .. arguments.Split(' '), "-d", "0.2", "--warmup", "0"];
        (int exit, _, string error) = CliProcess.Run("", args);

        Assert.Equal(2, exit);
        Assert.StartsWith("rebound", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal); // no stack trace
    }

    private static (int Exit, JsonElement Result, string Error) BenchAgainstEcho(bool naive)
    {
        int port = LoadGeneratorTests.FreeUdpPort();
        string[] echo = naive ? ["echo", "--naive", "-l", $"0.0.0.0:{port}"] : ["echo", "-l", $"0.0.0.0:{port}"];
        using Process server = CliProcess.Start(echo);
        try
        {
            CliProcess.WaitForStderr(server, "listening");
            (int exit, string output, string error) = CliProcess.Run(
                "", "bench", $"127.0.0.2:{port}", "-s", "127.0.0.1", "--sockets", "2", "--in-flight", "8", "-d", "0.5", "--warmup", "0.1",
                "--loss-timeout", naive ? "0.3" : "2", "--server-pid", server.Id.ToString(CultureInfo.InvariantCulture), "--json");
            return (exit, JsonSchemaAssert.Valid("bench", output), error);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            server.WaitForExit();
        }
    }
}
