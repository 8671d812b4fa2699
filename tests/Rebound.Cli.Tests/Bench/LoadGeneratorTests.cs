using System.Net;
using System.Net.Sockets;
using Rebound.Cli.Bench;
using Rebound.Cli.Commands;
using Rebound.Cli.Servers;

namespace Rebound.Cli.Tests.Bench;

/// <summary>
/// The load generator in-process against the echo servers <c>rebound echo</c> runs, on loopback: counts, budget and CPU
/// accounting. <see cref="BenchCommandTests"/> drives the real processes, including the wrong-source case.
/// </summary>
public class LoadGeneratorTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(2); // CI machines stall; a slow reply is not a lost one

    [Fact]
    public async Task Against_rebound_echo_on_loopback_every_datagram_is_answered()
    {
        LoadResult result = await RunAgainstEchoAsync(naive: false, target: IPAddress.Loopback, source: null, Generous);

        Assert.True(result.Tally.Replies > 0, "no replies");
        Assert.Equal(0, result.Tally.Lost);
        Assert.Equal(result.Tally.Sent, result.Tally.Replies);
        Assert.Equal(0, result.Tally.Unexpected);
        Assert.True(result.RepliesPerSecond > 0);
        Assert.True(result.Tally.Latency.ValueAtPercentile(50) > 0);
        Assert.True(result.Tally.Latency.ValueAtPercentile(50) <= result.Tally.Latency.ValueAtPercentile(99.9));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    public async Task A_count_bounds_the_run_and_the_server_cpu_is_charged_per_reply(int warmupMilliseconds)
    {
        // The server runs in this process, so its pid is ours: the CPU charged is the test process's, which is > 0.
        LoadResult result = await RunAgainstEchoAsync(
            naive: false, IPAddress.Loopback, source: null, Generous, count: 2000, serverPid: Environment.ProcessId,
            warmup: TimeSpan.FromMilliseconds(warmupMilliseconds));

        Assert.Equal(2000, result.Tally.Sent);
        Assert.Equal(2000, result.Tally.Replies);
        Assert.True(result.Window < TimeSpan.FromSeconds(30));
        Assert.NotNull(result.ServerMicrosecondsPerReply);
    }

    private static async Task<LoadResult> RunAgainstEchoAsync(
        bool naive, IPAddress target, IPAddress? source, TimeSpan lossTimeout, long count = 0, int? serverPid = null, TimeSpan? warmup = null)
    {
        int port = FreeUdpPort();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var settings = new EchoSettings(new IPEndPoint(IPAddress.Any, port), DualStack: false, Verbose: false, Count: 0);
        Task<int> server = naive ? NaiveEchoServer.RunAsync(settings, stop.Token) : ReboundEchoServer.RunAsync(settings, stop.Token);
        await WaitUntilBoundAsync(port);
        try
        {
            var load = new LoadSettings(
                new IPEndPoint(target, port), source, Sockets: 2, InFlight: 8, PayloadSize: 64,
                Duration: count > 0 ? TimeSpan.FromSeconds(30) : TimeSpan.FromMilliseconds(700), count,
                Warmup: warmup ?? TimeSpan.FromMilliseconds(100), lossTimeout, Cpu: null, serverPid);
            return await LoadGenerator.RunAsync(load, CancellationToken.None);
        }
        finally
        {
            await stop.CancelAsync();
            await server.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    internal static int FreeUdpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Any, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    internal static async Task WaitUntilBoundAsync(int port)
    {
        for (int i = 0; i < 500; i++)
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                probe.Bind(new IPEndPoint(IPAddress.Any, port));
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                return;
            }

            probe.Dispose();
            await Task.Delay(10);
        }

        throw new TimeoutException($"no server bound UDP port {port}");
    }
}
