using System.Net;
using Rebound.Cli.Bench;

namespace Rebound.Cli.Tests.Bench;

/// <summary>Every server the benchmark compares really echoes, and stops when cancelled: a broken one would be measured as fast.</summary>
public class BenchServersTests
{
    public static TheoryData<string> Implementations => new(BenchServers.Names);

    [Theory]
    [MemberData(nameof(Implementations))]
    public async Task Each_server_answers_every_datagram_and_stops_when_cancelled(string implementation)
    {
        int port = LoadGeneratorTests.FreeUdpPort();
        using var stop = new CancellationTokenSource();
        Task server = BenchServers.RunAsync(implementation, new IPEndPoint(IPAddress.Any, port), stop.Token);
        await LoadGeneratorTests.WaitUntilBoundAsync(port);

        var load = new LoadSettings(
            new IPEndPoint(IPAddress.Loopback, port), Source: null, Sockets: 2, InFlight: 4, PayloadSize: 100,
            Duration: TimeSpan.FromSeconds(30), Count: 500, Warmup: TimeSpan.Zero, LossTimeout: TimeSpan.FromSeconds(2), Cpu: null, ServerProcessId: null);
        LoadResult result = await LoadGenerator.RunAsync(load, CancellationToken.None);

        Assert.Equal(500, result.Tally.Replies);
        Assert.Equal(0, result.Tally.Lost);
        await stop.CancelAsync();
        await server.WaitAsync(TimeSpan.FromSeconds(10)); // throws if it does not stop, or stopped with an error
    }

    [Fact]
    public void An_unknown_implementation_is_refused() =>
        Assert.Throws<ArgumentException>(() => { _ = BenchServers.RunAsync("fastest", new IPEndPoint(IPAddress.Loopback, 0), CancellationToken.None); });
}
