namespace Rebound.Hosting;

/// <summary>
/// Writes at most one handler failure per interval, with how many were left out since the last one written, so a
/// handler that throws on every datagram (thousands a second, from several threads) cannot flood the log.
/// </summary>
internal sealed class RateLimitedErrorLog(TimeSpan interval, TimeProvider time, Action<Exception, long> write)
{
    private readonly Lock _gate = new();
    private readonly long _intervalTicks = (long)(interval.TotalSeconds * time.TimestampFrequency);
    private long _nextWrite = long.MinValue;
    private long _suppressed;

    /// <summary>Counts <paramref name="exception"/>; writes it (with the count left out before it) when the interval has passed.</summary>
    public void Report(Exception exception)
    {
        long now = time.GetTimestamp();
        long leftOut;
        lock (_gate)
        {
            if (now < _nextWrite)
            {
                _suppressed++;
                return;
            }

            leftOut = _suppressed;
            _suppressed = 0;
            _nextWrite = now + _intervalTicks;
        }

        write(exception, leftOut);
    }
}
