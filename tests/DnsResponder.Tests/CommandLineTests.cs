using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DnsResponder.Tests.Support;
using Rebound.Lab;

namespace DnsResponder.Tests;

/// <summary>The dns-responder command line, run in-process: bad input fails with a message and exit code 2 or 3; good input serves until cancelled.</summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly string _hosts = Path.GetTempFileName();

    public CommandLineTests() => File.WriteAllText(_hosts, TestZone.Hosts);

    public void Dispose() => File.Delete(_hosts);

    [Theory]
    [InlineData("--listen", "localhost", "'localhost' is not ADDR:PORT")]
    [InlineData("--zone", "bad zone", "--zone: 'bad zone' contains ' '")]
    [InlineData("--hosts", "/nonexistent/hosts", "cannot read /nonexistent/hosts")]
    [InlineData("--threads", "-1", "--threads: -1 is not between 0 and 1024.")]
    public async Task Bad_arguments_exit_2_with_a_message(string option, string value, string message)
    {
        string[] args = ["--listen", "127.0.0.1:0", "--zone", "example.test", "--hosts", _hosts, "--threads", "1"];
        args[Array.IndexOf(args, option) + 1] = value;
        (int exit, _, string error) = await RunAsync(args, CancellationToken.None);
        Assert.Equal(2, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_hosts_line_exits_2_and_names_the_line()
    {
        File.WriteAllText(_hosts, "192.0.2.1 ok.example.test\n# comment\n192.0.2.300 broken.example.test\n");
        (int exit, _, string error) = await RunAsync(["--zone", "example.test", "--hosts", _hosts, "--listen", "127.0.0.1:0"], CancellationToken.None);
        Assert.Equal(2, exit);
        Assert.Contains("line 3: '192.0.2.300' is not an IPv4 or IPv6 address.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_address_in_use_exits_3()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        (int exit, _, string error) = await RunAsync(["--zone", "example.test", "--hosts", _hosts, "--listen", holder.LocalEndPoint!.ToString()!], CancellationToken.None);
        Assert.Equal(3, exit);
        Assert.Contains("cannot serve on", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")] // ReboundServer, batched, one thread per core
    [InlineData("--threads 0")] // one ReboundSocket, Receive/Reply loop
    [InlineData("--threads 3")]
    [InlineData("--naive")]
    public async Task Serves_queries_until_cancelled_then_exits_0_with_a_summary(string mode)
    {
        int port = FreePort();
        using var cancel = new CancellationTokenSource();
        string[] args = ["--zone", "example.test", "--hosts", _hosts, "--listen", $"127.0.0.1:{port}", .. mode.Split(' ', StringSplitOptions.RemoveEmptyEntries)];
        Task<(int, string, string)> run = RunAsync(args, cancel.Token);

        byte[] reply = AskUntilAnswered(port);
        cancel.Cancel();
        (int exit, string output, _) = await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, exit);
        Assert.Equal(IPAddress.Parse("192.0.2.10"), new IPAddress(Assert.Single(ReplyReader.Parse(reply).Answers).Data));
        Assert.Contains("answered 1,", output, StringComparison.Ordinal);
    }

    [ToolFact("kill")]
    public void SIGTERM_stops_the_process_cleanly_with_exit_0_and_a_summary()
    {
        int port = FreePort();
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "DnsResponder"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in (string[])["--zone", "example.test", "--hosts", _hosts, "--listen", $"127.0.0.1:{port}"])
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        try
        {
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            AskUntilAnswered(port);
            ProcessRunner.Run("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]);

            Assert.True(process.WaitForExit(10_000), "still running 10 s after SIGTERM");
            Assert.Equal(0, process.ExitCode);
            // At least the one answered query: under load the first answer can miss the 200 ms wait and be asked again.
            Assert.Matches(@"answered [1-9][0-9]*,", output.Result);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    /// <summary>Sends www.example.test A until the server (which may still be starting) answers; returns the reply.</summary>
    private static byte[] AskUntilAnswered(int port)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 200 };
        client.Connect(IPAddress.Loopback, port);
        byte[] reply = new byte[512];
        for (int attempt = 0; attempt < 100; attempt++)
        {
            client.Send(QueryBuilder.Build("www.example.test", id: (ushort)attempt));
            try
            {
                return reply[..client.Receive(reply)];
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.ConnectionRefused)
            {
                Thread.Sleep(100); // not listening yet (a refusal comes back at once)
            }
        }

        throw new TimeoutException($"nothing answered on 127.0.0.1:{port} for 30 s");
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(string[] args, CancellationToken cancellation)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        ParseResult parse = ResponderCommand.Create(output, error).Parse(args);
        Assert.Empty(parse.Errors);
        int exit = await parse.InvokeAsync(null, cancellation);
        return (exit, output.ToString(), error.ToString());
    }
}
