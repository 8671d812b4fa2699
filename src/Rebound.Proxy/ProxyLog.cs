using Microsoft.Extensions.Logging;

namespace Rebound.Proxy;

/// <summary>The proxy's log messages (source-generated, so a disabled level costs nothing).</summary>
internal static partial class ProxyLog
{
    [LoggerMessage(1, LogLevel.Information, "Proxying {Listen} -> {Backends} on {Threads} thread(s); replies leave from the address each client targeted.")]
    public static partial void Started(ILogger logger, string listen, string backends, int threads);

    [LoggerMessage(2, LogLevel.Warning, "Refused {Count} new flow(s) in the last second: {Why}. Existing flows are unaffected.")]
    public static partial void Refused(ILogger logger, long count, string why);

    [LoggerMessage(3, LogLevel.Warning, "Dropped {Count} datagram(s) in the last second: {Why}.")]
    public static partial void Dropped(ILogger logger, long count, string why);

    [LoggerMessage(4, LogLevel.Information, "Stopping: no new datagrams accepted; draining replies for up to {DrainSeconds} s.")]
    public static partial void Stopping(ILogger logger, double drainSeconds);

    [LoggerMessage(5, LogLevel.Information, "Stopped. {Statistics}")]
    public static partial void Stopped(ILogger logger, ProxyStatistics statistics);

    [LoggerMessage(6, LogLevel.Debug, "Flow {Client} -> {Local} opened to backend {Backend}.")]
    public static partial void FlowOpened(ILogger logger, UdpEndPoint client, UdpEndPoint local, string backend);
}

/// <summary>
/// Logs a recurring problem at most once a second, with how many times it happened in between, so a flood of refused
/// flows cannot flood the log too.
/// </summary>
internal sealed class RateLimitedLog(Action<long, string> write)
{
    private long _lastLogged;
    private bool _everLogged;
    private long _pending;
    private string _why = "";

    public void Report(long now, string why)
    {
        _pending++;
        _why = why;
        Flush(now);
    }

    /// <summary>Writes the pending count if a second has passed since the last line.</summary>
    public void Flush(long now)
    {
        if (_pending > 0 && (!_everLogged || now - _lastLogged >= 1000))
        {
            write(_pending, _why);
            _pending = 0;
            _lastLogged = now;
            _everLogged = true;
        }
    }
}
