using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Rebound.Cli.Tests.Output;
using Rebound.Cli.Tests.Proxy;
using Rebound.Cli.Tests.Support;
using Rebound.Lab;
using Rebound.TestSupport;

namespace Rebound.Cli.Tests.Language;

/// <summary>
/// <c>rebound proxy</c> speaks the common language: its flow log writes an IPv4 client of a dual-stack front as
/// <c>127.0.0.1:P</c> (it wrote <c>[::ffff:127.0.0.1]:P</c>), and <c>--stats --json</c> writes JSON lines valid against
/// docs/schemas/proxy.schema.json, closed by a <c>summary</c> with the totals. Real proxy process, loopback only.
/// </summary>
public sealed class ProxyOutputTests
{
    [Fact]
    public void Flow_log_shows_an_IPv4_client_as_IPv4_and_stats_json_lines_match_the_schema()
    {
        using LabServer backend = LabServer.Start(ServerKind.Naive, new IPEndPoint(IPAddress.Any, 0));
        int port = FreeDualStackPort();
        using Process proxy = CliProcess.Start(
            "proxy", "--listen", $"[::]:{port}", "--to", $"127.0.0.1:{backend.LocalEndPoint.Port}", "-v", "--stats", "0.2", "--json");
        string flowLine;
        int clientPort;
        try
        {
            CliProcess.WaitForStderr(proxy, "Proxying");
            using (Socket client = UdpClients.Connect(new IPEndPoint(ProxyTestHelpers.Second, port), new IPEndPoint(IPAddress.Loopback, 0)))
            {
                clientPort = ((IPEndPoint)client.LocalEndPoint!).Port;
                Assert.Equal("through", UdpClients.Exchange(client, "through", ProxyTestHelpers.Answer));
            }

            flowLine = ReadStderrUntil(proxy, "Flow ");
            JsonElement stats = JsonSchemaAssert.Valid("proxy", proxy.StandardOutput.ReadLine() ?? "");
            Assert.Equal("stats", stats.GetProperty("event").GetString());
        }
        finally
        {
            _ = Signal(proxy.Id, 15);
        }

        Assert.True(proxy.WaitForExit(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, proxy.ExitCode);

        // The dual-stack front saw the client as ::ffff:127.0.0.1; every rebound output shows it as the IPv4 it is.
        Assert.Contains($"Flow 127.0.0.1:{clientPort} -> 127.0.0.2:{port} opened", flowLine, StringComparison.Ordinal);
        Assert.DoesNotContain("::ffff:", flowLine, StringComparison.Ordinal);

        IReadOnlyList<JsonElement> lines = JsonSchemaAssert.ValidLines("proxy", proxy.StandardOutput.ReadToEnd());
        JsonElement summary = lines[^1];
        Assert.Equal("summary", summary.GetProperty("event").GetString());
        Assert.Equal(1, summary.GetProperty("datagramsToClient").GetInt64());
        Assert.Equal(1, summary.GetProperty("flowsCreated").GetInt64());
        Assert.All(lines.SkipLast(1), l => Assert.Equal("stats", l.GetProperty("event").GetString()));
    }

    [Fact]
    public void The_schema_rejects_a_stats_line_in_another_dialect()
    {
        const string Good = """{"schemaVersion":1,"event":"stats","time":"2026-12-03T11:00:00.0000000Z","activeFlows":0,"flowsCreated":1,"flowsExpired":0,"flowsClosedByBackend":0,"refusedTableFull":0,"refusedClientLimit":0,"datagramsToBackend":1,"datagramsToClient":1,"bytesToBackend":8,"bytesToClient":8,"dropped":0}""";
        Assert.Empty(JsonSchemaAssert.Errors("proxy", JsonDocument.Parse(Good).RootElement));

        foreach (string bad in new[] { Good.Replace("datagramsToClient", "datagrams_to_client", StringComparison.Ordinal), Good.Replace("\"stats\"", "\"Stats\"", StringComparison.Ordinal) })
        {
            Assert.NotEmpty(JsonSchemaAssert.Errors("proxy", JsonDocument.Parse(bad).RootElement));
        }
    }

    [Theory]
    [InlineData("0.0001")]
    [InlineData("-1")]
    public void A_stats_period_too_short_to_tick_is_a_usage_error(string seconds)
    {
        (int code, _, string stderr) = CliProcess.Run("", "proxy", "-l", "127.0.0.1:0", "--to", "127.0.0.1:9", "--stats", seconds);

        Assert.Equal(2, code);
        Assert.Contains("--stats", stderr, StringComparison.Ordinal);
    }

    private static string ReadStderrUntil(Process process, string marker)
    {
        while (process.StandardError.ReadLine() is { } line)
        {
            if (line.Contains(marker, StringComparison.Ordinal))
            {
                return line;
            }
        }

        throw new InvalidOperationException($"rebound proxy exited before printing '{marker}'");
    }

    private static int FreeDualStackPort()
    {
        using var probe = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
        probe.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Signal(int pid, int signal);
}
