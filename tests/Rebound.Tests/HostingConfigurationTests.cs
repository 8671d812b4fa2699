using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rebound.Hosting;
using Rebound.Tests.Support;

namespace Rebound.Tests;

/// <summary>Rebound.Hosting as a service operator uses it: options from IConfiguration, and a failing handler that does not flood the log.</summary>
public sealed class HostingConfigurationTests
{
    private static int Echo(ReadOnlySpan<byte> request, Span<byte> reply, in ReceivedDatagram datagram)
    {
        request.CopyTo(reply);
        return request.Length;
    }

    [Fact]
    public async Task Options_are_bound_from_a_configuration_section()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Rebound:EndPoint"] = "0.0.0.0:0",
            ["Rebound:SocketCount"] = "3",
            ["Rebound:BatchSize"] = "4",
            ["Rebound:Socket:ReceiveBufferSize"] = "262144",
        });
        builder.Services.AddReboundServer(builder.Configuration.GetSection("Rebound"), Echo);
        using IHost host = builder.Build();

        await host.StartAsync();
        ReboundServer server = host.Services.GetRequiredService<ReboundHostedServer>().Server!;
        Assert.Equal(3, server.SocketCount);
        using (var client = Loopback.Client("127.0.0.1", "127.0.0.2", server.LocalEndPoint.Port))
        {
            client.Send("configured"u8);
            Assert.Equal("configured", Encoding.ASCII.GetString(Loopback.TryReceive(client, TimeSpan.FromSeconds(2)) ?? []));
        }

        await host.StopAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void A_section_without_an_endpoint_or_with_a_bad_value_is_refused_with_its_path()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Dns:SocketCount"] = "2",
            ["Bad:EndPoint"] = "[::]:0",
            ["Bad:SocketCount"] = "many",
        }).Build();

        ArgumentException missing = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddReboundServer(configuration.GetSection("Dns"), Echo));
        Assert.Contains("'Dns' has no EndPoint", missing.Message, StringComparison.Ordinal);
        InvalidOperationException bad = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddReboundServer(configuration.GetSection("Bad"), Echo));
        Assert.Contains("SocketCount", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_handler_failing_on_every_datagram_is_logged_at_most_once_a_second()
    {
        const int Datagrams = 300;
        var logs = new LogCollector();
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.AddProvider(logs);
        builder.Services.AddReboundServer("127.0.0.1:0", (_, _, in _) => throw new InvalidOperationException("boom"), o => o.SocketCount = 2);
        using IHost host = builder.Build();
        await host.StartAsync();
        ReboundServer server = host.Services.GetRequiredService<ReboundHostedServer>().Server!;

        var elapsed = Stopwatch.StartNew();
        using (var client = Loopback.Client("127.0.0.1", "127.0.0.1", server.LocalEndPoint.Port))
        {
            for (int i = 0; i < Datagrams; i++)
            {
                client.Send("x"u8);
                if (i % 50 == 49)
                {
                    await WaitForAsync(() => server.Statistics.HandlerErrors >= i + 1);
                }
            }
        }

        Assert.True(await WaitForAsync(() => server.Statistics.HandlerErrors >= Datagrams), $"only {server.Statistics.HandlerErrors} handler errors");
        double seconds = elapsed.Elapsed.TotalSeconds;
        await host.StopAsync(TimeSpan.FromSeconds(5));

        // Logging each failure (the naive path) would have written 300 lines; one a second at most is written.
        string[] lines = [.. logs.Messages.Where(m => m.Contains("an error it survived", StringComparison.Ordinal))];
        Assert.NotEmpty(lines);
        Assert.True(lines.Length <= Math.Ceiling(seconds) + 1, $"{lines.Length} lines in {seconds:F1} s");
        Assert.StartsWith("Rebound server: an error it survived, such as a handler that threw (0 more", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void The_rate_limited_log_writes_the_first_failure_then_one_per_interval_with_the_count_left_out()
    {
        var time = new ManualTime();
        var written = new List<(string Message, long LeftOut)>();
        var log = new RateLimitedErrorLog(TimeSpan.FromSeconds(1), time, (e, n) => written.Add((e.Message, n)));

        for (int i = 0; i < 10; i++)
        {
            log.Report(new InvalidOperationException($"e{i}"));
        }

        time.Advance(TimeSpan.FromMilliseconds(999));
        log.Report(new InvalidOperationException("e10"));
        time.Advance(TimeSpan.FromMilliseconds(1));
        log.Report(new InvalidOperationException("e11"));

        Assert.Equal([("e0", 0L), ("e11", 10L)], written);
    }

    private static async Task<bool> WaitForAsync(Func<bool> condition)
    {
        for (var wait = Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromSeconds(10); await Task.Delay(10))
        {
            if (condition())
            {
                return true;
            }
        }

        return condition();
    }

    private sealed class ManualTime : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
