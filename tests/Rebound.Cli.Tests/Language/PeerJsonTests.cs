using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Rebound.Cli.Infrastructure;
using Rebound.Cli.Tests.Output;
using Rebound.Cli.Tests.Support;
using Rebound.Lab;

namespace Rebound.Cli.Tests.Language;

/// <summary>
/// <c>listen --json</c> and <c>connect --json</c> (docs/output.md): stdout becomes one JSON line per event, each valid
/// against docs/schemas/peer.schema.json, on loopback where a wildcard listener is asked at 127.0.0.2 by a client on
/// 127.0.0.1. The reply source listen reports is checked against where the reply really came from: Rebound names the
/// address asked and the reply comes from it; the naive listener (plain sendto) cannot know, says null, and its reply
/// comes from 127.0.0.1.
/// </summary>
public sealed class PeerJsonTests
{
    private static readonly IPAddress Asked = IPAddress.Parse("127.0.0.2");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Listen_json_reports_each_datagram_and_reply_and_the_reply_source_it_really_used(bool naive)
    {
        int port = FreeUdpPort();
        using Process listen = CliProcess.Start(naive ? ["listen", "--json", "--naive", $"0.0.0.0:{port}"] : ["listen", "--json", $"0.0.0.0:{port}"]);
        try
        {
            JsonElement listening = NextLine(listen);
            Assert.Equal("listening", listening.GetProperty("event").GetString());
            Assert.Equal($"0.0.0.0:{port}", listening.GetProperty("local").GetString());

            // An unconnected client sees where the reply really came from.
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 30_000 };
            client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            string clientText = $"127.0.0.1:{((IPEndPoint)client.LocalEndPoint!).Port}";
            string server = $"127.0.0.2:{port}";
            client.SendTo("ping\n"u8.ToArray(), new IPEndPoint(Asked, port));

            JsonElement received = NextLine(listen);
            Assert.Equal("received", received.GetProperty("event").GetString());
            Assert.Equal("udp", received.GetProperty("protocol").GetString());
            Assert.Equal(clientText, received.GetProperty("client").GetString());
            Assert.Equal(naive ? null : server, received.GetProperty("server").GetString());
            Assert.Equal("ping\n", received.GetProperty("text").GetString());
            Assert.Equal(5, received.GetProperty("bytes").GetInt32());

            listen.StandardInput.Write("pong\n");
            listen.StandardInput.Flush();
            JsonElement sent = NextLine(listen);
            byte[] reply = new byte[100];
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            int n = client.ReceiveFrom(reply, ref from);

            Assert.Equal("pong\n", Encoding.UTF8.GetString(reply, 0, n));
            Assert.Equal("sent", sent.GetProperty("event").GetString());
            Assert.Equal(clientText, sent.GetProperty("client").GetString());
            if (naive)
            {
                // The bug, seen from both sides: the kernel picked 127.0.0.1, and the naive listener cannot say so.
                Assert.Equal($"127.0.0.1:{port}", from.ToString());
                Assert.Equal(JsonValueKind.Null, sent.GetProperty("replySource").ValueKind);
            }
            else
            {
                Assert.Equal(server, from.ToString());
                Assert.Equal(server, sent.GetProperty("replySource").GetString());
            }

            // A payload that is not text: text is null, base64 has every byte.
            client.SendTo([0xFF, 0xFE, 0x00, 0x41], new IPEndPoint(Asked, port));
            JsonElement binary = NextLine(listen);
            Assert.Equal(JsonValueKind.Null, binary.GetProperty("text").ValueKind);
            Assert.Equal([0xFF, 0xFE, 0x00, 0x41], Convert.FromBase64String(binary.GetProperty("base64").GetString()!));

            // SIGTERM ends it with exit 0 and the totals.
            ProcessRunner.Run("kill", ["-TERM", listen.Id.ToString(CultureInfo.InvariantCulture)]);
            JsonElement summary = NextLine(listen);
            Assert.True(listen.WaitForExit(TimeSpan.FromSeconds(30)), "listen ignored SIGTERM");
            Assert.Equal(0, listen.ExitCode);
            Assert.Equal("summary", summary.GetProperty("event").GetString());
            Assert.Equal(2, summary.GetProperty("received").GetInt64());
            Assert.Equal(1, summary.GetProperty("sent").GetInt64());
            Assert.Equal(9, summary.GetProperty("bytesReceived").GetInt64());
            Assert.Equal(5, summary.GetProperty("bytesSent").GetInt64());
        }
        finally
        {
            if (!listen.HasExited)
            {
                listen.Kill();
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Connect_json_reports_what_it_sent_and_where_each_reply_came_from(bool naive)
    {
        int port = FreeUdpPort();
        using Process echo = CliProcess.Start(naive ? ["echo", "--naive", "-l", $"0.0.0.0:{port}"] : ["echo", "--async", "-l", $"0.0.0.0:{port}"]);
        try
        {
            CliProcess.WaitForStderr(echo, "listening on");

            (int exit, string output, _) = CliProcess.Run("hello\n", "connect", $"127.0.0.2:{port}", "-s", "127.0.0.1", "-w", "1", "--json");

            IReadOnlyList<JsonElement> lines = JsonSchemaAssert.ValidLines("peer", output);
            string[] events = [.. lines.Select(l => l.GetProperty("event").GetString()!)];
            Assert.Equal("connected", events[0]);
            Assert.Equal($"127.0.0.2:{port}", lines[0].GetProperty("server").GetString());
            Assert.Equal("sent", events[1]);
            Assert.Equal("hello\n", lines[1].GetProperty("text").GetString());
            Assert.Equal("summary", events[^1]);
            if (naive)
            {
                // The reply left from 127.0.0.1; the connected socket dropped it: no received event, an error, exit 1.
                Assert.Equal(ExitCodes.Finding, exit);
                Assert.Equal(["connected", "sent", "error", "summary"], events);
                Assert.Contains("no reply", lines[2].GetProperty("error").GetString(), StringComparison.Ordinal);
                Assert.Equal(0, lines[3].GetProperty("received").GetInt64());
            }
            else
            {
                Assert.Equal(ExitCodes.Success, exit);
                Assert.Equal(["connected", "sent", "received", "summary"], events);
                Assert.Equal($"127.0.0.2:{port}", lines[2].GetProperty("replySource").GetString());
                Assert.Equal("hello\n", lines[2].GetProperty("text").GetString());
                Assert.Equal(1, lines[3].GetProperty("received").GetInt64());
            }
        }
        finally
        {
            echo.Kill();
            echo.WaitForExit();
        }
    }

    [Fact]
    public void Listen_json_on_a_port_in_use_writes_an_error_line_and_exits_3()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)holder.LocalEndPoint!).Port;

        (int exit, string output, string error) = CliProcess.Run("", "listen", "--json", $"127.0.0.1:{port}");

        Assert.Equal(ExitCodes.Network, exit);
        IReadOnlyList<JsonElement> lines = JsonSchemaAssert.ValidLines("peer", output);
        Assert.Equal(["error", "summary"], lines.Select(l => l.GetProperty("event").GetString()));
        Assert.Contains("another program already uses that port", lines[0].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("another program already uses that port", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_json_over_tcp_names_the_stream_ends()
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        server.Listen(1);
        string serverText = server.LocalEndPoint!.ToString()!;
        Task answering = Task.Run(() =>
        {
            using Socket connection = server.Accept();
            byte[] buffer = new byte[100];
            int n = connection.Receive(buffer);
            connection.Send(buffer.AsSpan(0, n));
            connection.Shutdown(SocketShutdown.Send);
        });

        (int exit, string output, string error) = CliProcess.Run("over tcp\n", "connect", "--tcp", serverText, "-w", "5", "--json");

        Assert.True(exit == 0, error);
        await answering.WaitAsync(TimeSpan.FromSeconds(30));
        IReadOnlyList<JsonElement> lines = JsonSchemaAssert.ValidLines("peer", output);
        Assert.Equal(["connected", "sent", "received", "summary"], lines.Select(l => l.GetProperty("event").GetString()));
        Assert.All(lines, l => Assert.Equal("tcp", l.GetProperty("protocol").GetString()));
        Assert.Equal(serverText, lines[2].GetProperty("replySource").GetString());
        Assert.Equal("over tcp\n", lines[2].GetProperty("text").GetString());
    }

    /// <summary>The next stdout line of <paramref name="process"/>, valid against the schema (fails rather than hangs).</summary>
    private static JsonElement NextLine(Process process)
    {
        Task<string?> line = process.StandardOutput.ReadLineAsync();
        Assert.True(line.Wait(TimeSpan.FromSeconds(60)), "no JSON line within a minute");
        Assert.True(line.Result is not null, $"stdout ended (exit {(process.HasExited ? process.ExitCode : -1)})");
        return JsonSchemaAssert.Valid("peer", line.Result);
    }

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Any, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
