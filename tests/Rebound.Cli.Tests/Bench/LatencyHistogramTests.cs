using CsCheck;
using Rebound.Cli.Bench;

namespace Rebound.Cli.Tests.Bench;

/// <summary>The latency histogram: bucket layout, exact small values, and percentiles against a sorted list.</summary>
public class LatencyHistogramTests
{
    [Fact]
    public void Buckets_tile_the_value_range_without_gaps_or_overlaps()
    {
        for (int i = 0; i < 3000; i++)
        {
            long low = LatencyHistogram.LowestInBucket(i);
            long high = LatencyHistogram.HighestInBucket(i);
            Assert.Equal(i, LatencyHistogram.IndexOf(low));
            Assert.Equal(i, LatencyHistogram.IndexOf(high));
            Assert.Equal(high + 1, LatencyHistogram.LowestInBucket(i + 1));
            Assert.True(high - low <= Math.Max(0, low / 64), $"bucket {i} [{low}, {high}] is wider than 1/64 of its value");
        }

        Assert.Equal(LatencyHistogram.IndexOf(long.MaxValue), LatencyHistogram.IndexOf(long.MaxValue - 1));
    }

    [Fact]
    public void Small_values_are_exact_and_large_ones_round_up_within_a_sixty_fourth()
    {
        var histogram = new LatencyHistogram();
        for (int v = 1; v <= 100; v++)
        {
            histogram.Record(v);
        }

        Assert.Equal(50, histogram.ValueAtPercentile(50));
        Assert.Equal(99, histogram.ValueAtPercentile(99));
        Assert.Equal(100, histogram.ValueAtPercentile(100));
        Assert.Equal(1, histogram.Min);
        Assert.Equal(50.5, histogram.Mean);

        histogram.Clear();
        histogram.Record(1_000_000);
        histogram.Record(1_000_001);
        histogram.Record(5_000_000);
        long median = histogram.ValueAtPercentile(50);
        Assert.InRange(median, 1_000_001, 1_000_001 + (1_000_001 / 64));
        Assert.Equal(5_000_000, histogram.ValueAtPercentile(99.9)); // capped at the exact maximum
        Assert.Equal(0, new LatencyHistogram().ValueAtPercentile(99));
    }

    [Fact]
    public void Percentiles_are_monotonic_and_within_bucket_error_of_the_sorted_truth()
    {
        Gen.Select(Gen.Long[0, 50_000_000].Array[1, 400], Gen.Double[0.01, 100].Array[2, 8])
            .Sample((values, percentiles) =>
            {
                var histogram = new LatencyHistogram();
                foreach (long v in values)
                {
                    histogram.Record(v);
                }

                long[] sorted = values.Order().ToArray();
                Array.Sort(percentiles);
                long previous = 0;
                foreach (double p in percentiles)
                {
                    long reported = histogram.ValueAtPercentile(p);
                    long rank = Math.Clamp((long)Math.Ceiling(p / 100 * sorted.Length), 1, sorted.Length);
                    long exact = sorted[rank - 1];
                    Assert.True(reported >= previous, $"p{p} = {reported} < an earlier percentile {previous}");
                    Assert.InRange(reported, exact, exact + (exact / 64));
                    previous = reported;
                }

                Assert.Equal(sorted[^1], histogram.Max);
                Assert.Equal(sorted.Length, histogram.Count);
            });
    }
}
