using System.Globalization;

namespace Rebound.Capture.Analysis;

/// <summary>Capture timestamps (ns since the Unix epoch) as text, keeping the precision the capture had.</summary>
public static class CaptureTime
{
    /// <summary>ISO 8601 UTC with nanoseconds, e.g. <c>2026-11-25T17:06:49.123456789Z</c>.</summary>
    public static string Format(long nanoseconds)
    {
        long seconds = Math.DivRem(nanoseconds, 1_000_000_000L, out long fraction);
        if (fraction < 0)
        {
            seconds--;
            fraction += 1_000_000_000L;
        }

        seconds = Math.Clamp(seconds, DateTimeOffset.MinValue.ToUnixTimeSeconds(), DateTimeOffset.MaxValue.ToUnixTimeSeconds());
        DateTimeOffset time = DateTimeOffset.FromUnixTimeSeconds(seconds);
        return string.Create(CultureInfo.InvariantCulture, $"{time:yyyy-MM-ddTHH:mm:ss}.{fraction:D9}Z");
    }

    /// <summary>Nanoseconds since the Unix epoch of a wall-clock time.</summary>
    public static long FromDateTimeOffset(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
}
