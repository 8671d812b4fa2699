using Rebound.Proxy;

namespace Rebound.Proxy.Tests;

/// <summary>A flood of refusals or drops is logged at most once a second, with how many happened.</summary>
public sealed class RateLimitedLogTests
{
    [Fact]
    public void Writes_at_most_once_a_second_with_the_count_in_between()
    {
        var lines = new List<(long Count, string Why)>();
        var log = new RateLimitedLog((n, why) => lines.Add((n, why)));

        log.Report(10_000, "first");
        for (long t = 10_001; t < 11_000; t++)
        {
            log.Report(t, "flood");
        }

        Assert.Equal([(1L, "first")], lines);

        log.Report(11_000, "flood");
        Assert.Equal((1000L, "flood"), lines[^1]);

        log.Flush(20_000);
        Assert.Equal(2, lines.Count);
    }
}
