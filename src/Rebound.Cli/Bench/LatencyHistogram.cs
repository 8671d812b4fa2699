using System.Numerics;

namespace Rebound.Cli.Bench;

/// <summary>
/// Counts latencies in log-linear buckets, as HdrHistogram does: values below 128 get a bucket each, and every power of
/// two above is split into 64 equal buckets, so a percentile is off by at most 1/64 (1.6 %) of its value. Recording is
/// an index computation and an increment, so the load loop can record every reply without sorting or allocating.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBucketBits = 7;
    private const int SubBucketCount = 1 << SubBucketBits;   // 128
    private const int HalfCount = SubBucketCount / 2;        // 64 buckets per power of two above 128
    private const int MaxExponent = 63 - SubBucketBits + 1;  // covers every non-negative long

    private readonly long[] _counts = new long[SubBucketCount + (MaxExponent * HalfCount)];

    /// <summary>Number of values recorded.</summary>
    public long Count { get; private set; }

    /// <summary>Largest value recorded (exact), or 0.</summary>
    public long Max { get; private set; }

    /// <summary>Smallest value recorded (exact), or 0.</summary>
    public long Min { get; private set; }

    /// <summary>Mean of the recorded values (exact), or 0.</summary>
    public double Mean => Count == 0 ? 0 : (double)_sum / Count;

    private long _sum;

    /// <summary>Records one value; negative values count as 0.</summary>
    public void Record(long value)
    {
        value = Math.Max(0, value);
        _counts[IndexOf(value)]++;
        _sum += value;
        Min = Count == 0 ? value : Math.Min(Min, value);
        Max = Math.Max(Max, value);
        Count++;
    }

    /// <summary>Forgets every value.</summary>
    public void Clear()
    {
        Array.Clear(_counts);
        Count = 0;
        Max = 0;
        Min = 0;
        _sum = 0;
    }

    /// <summary>
    /// The value at <paramref name="percentile"/> (0–100]: the highest value of the bucket holding the value of rank
    /// ⌈p/100 × Count⌉ (capped at <see cref="Max"/>), so it never under-reports. 0 when nothing was recorded.
    /// </summary>
    public long ValueAtPercentile(double percentile)
    {
        if (Count == 0)
        {
            return 0;
        }

        long rank = Math.Clamp((long)Math.Ceiling(percentile / 100.0 * Count), 1, Count);
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(HighestInBucket(i), Max);
            }
        }

        return Max;
    }

    /// <summary>The bucket holding <paramref name="value"/>.</summary>
    internal static int IndexOf(long value)
    {
        if (value < SubBucketCount)
        {
            return (int)value;
        }

        // value >> shift lands in [64, 128): that is the sub-bucket within the power of two.
        int shift = BitOperations.Log2((ulong)value) - (SubBucketBits - 1);
        return SubBucketCount + ((shift - 1) * HalfCount) + (int)((value >> shift) - HalfCount);
    }

    /// <summary>The smallest value that lands in bucket <paramref name="index"/>.</summary>
    internal static long LowestInBucket(int index)
    {
        if (index < SubBucketCount)
        {
            return index;
        }

        int shift = ((index - SubBucketCount) / HalfCount) + 1;
        long sub = ((index - SubBucketCount) % HalfCount) + HalfCount;
        return sub << shift;
    }

    /// <summary>The largest value that lands in bucket <paramref name="index"/>.</summary>
    internal static long HighestInBucket(int index)
    {
        if (index < SubBucketCount)
        {
            return index;
        }

        int shift = ((index - SubBucketCount) / HalfCount) + 1;
        long lowest = LowestInBucket(index);
        return lowest + ((1L << shift) - 1);
    }
}
