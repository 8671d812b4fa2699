namespace Rebound.Cli.Infrastructure;

/// <summary>
/// Counts the per-datagram failures of a server loop (a reply refused by a route or a firewall, a vanished address) and
/// writes at most one line a second about them. One bad datagram costs one reply, never the server; a flood of them
/// cannot flood the terminal either. Safe to call from several serving threads.
/// </summary>
internal sealed class ThrottledErrors(string prefix, TextWriter writer)
{
    private readonly Lock _gate = new();
    private long _total;
    private long _pending;
    private long _lastWritten = long.MinValue;
    private string _why = "";

    /// <summary>How many failures were reported so far.</summary>
    public long Total => Interlocked.Read(ref _total);

    public void Report(string why)
    {
        Interlocked.Increment(ref _total);
        lock (_gate)
        {
            _pending++;
            _why = why;
            Flush(Environment.TickCount64, force: false);
        }
    }

    /// <summary>Writes what is pending now (at exit), whatever the rate.</summary>
    public void Flush()
    {
        lock (_gate)
        {
            Flush(Environment.TickCount64, force: true);
        }
    }

    private void Flush(long now, bool force)
    {
        if (_pending == 0 || (!force && _lastWritten != long.MinValue && now - _lastWritten < 1000))
        {
            return;
        }

        writer.WriteLine(_pending == 1 ? $"{prefix}: {_why}" : $"{prefix}: {_pending} datagrams failed since the last report; the last: {_why}");
        _pending = 0;
        _lastWritten = now;
    }
}
