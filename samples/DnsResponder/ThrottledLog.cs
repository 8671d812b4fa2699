namespace DnsResponder;

/// <summary>
/// Writes per-query failures (a reply refused by a route or a firewall, a vanished address, a handler error) at most once
/// a second, with how many were folded into the line: a flood of bad queries cannot flood the log, nor block serving
/// threads on a slow log. Safe to call from several serving threads.
/// </summary>
internal sealed class ThrottledLog(TextWriter writer)
{
    private readonly Lock _gate = new();
    private long _pending;
    private long _lastWritten = long.MinValue;
    private string _last = "";

    /// <summary>Records one failure; writes it (with those folded since the last line) unless a line went out this second.</summary>
    public void Write(string message)
    {
        lock (_gate)
        {
            _pending++;
            _last = message;
            long now = Environment.TickCount64;
            if (_lastWritten == long.MinValue || now - _lastWritten >= 1000)
            {
                WritePending(now);
            }
        }
    }

    /// <summary>Writes what is still pending, whatever the rate (at exit).</summary>
    public void Flush()
    {
        lock (_gate)
        {
            WritePending(Environment.TickCount64);
        }
    }

    private void WritePending(long now)
    {
        if (_pending == 0)
        {
            return;
        }

        writer.WriteLine(_pending == 1 ? $"dns-responder: {_last}" : $"dns-responder: {_pending} failures since the last report; the last: {_last}");
        _pending = 0;
        _lastWritten = now;
    }
}
