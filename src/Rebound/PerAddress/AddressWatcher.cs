using System.Net.NetworkInformation;

namespace Rebound.PerAddress;

/// <summary>
/// Tells a per-address socket set when the host's addresses may have changed: at every
/// <see cref="NetworkChange.NetworkAddressChanged"/> event, and at least every check interval in case an event is
/// missed (or, on Linux, raised for another network namespace: the runtime's one netlink socket lives in the namespace
/// of the thread that subscribed first). It runs on a thread of its own, started by the thread that opened the set, so
/// on Linux it reads the addresses of, and binds its sockets in, that thread's network namespace.
/// </summary>
/// <remarks>
/// The interval is the configured one (<see cref="DefaultInterval"/>) or, when a scan is slow (hundreds of addresses),
/// <see cref="CostFactor"/> times the last scan's duration, so that checking never takes more than ~2 % of a core.
/// </remarks>
internal sealed class AddressWatcher : IDisposable
{
    /// <summary>
    /// The periodic check. A new address is served at most this long (plus a scan) after it appears, even when no change
    /// event arrives; one scan reads every interface once (well under a millisecond for a few hundred addresses).
    /// </summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>The interval is at least this many times the last scan's duration.</summary>
    public const int CostFactor = 50;

    private readonly Func<HashSet<UdpEndPoint>> _read;
    private readonly Action<HashSet<UdpEndPoint>> _apply;
    private readonly TimeSpan _interval;
    private readonly AutoResetEvent _wake = new(false);
    private readonly NetworkAddressChangedEventHandler _onChange;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private long _scans;
    private long _eventWakes;
    private long _lastScanTicks;

    public AddressWatcher(Func<HashSet<UdpEndPoint>> read, Action<HashSet<UdpEndPoint>> apply, TimeSpan interval)
    {
        _read = read;
        _apply = apply;
        _interval = interval;
        _onChange = (_, _) =>
        {
            Interlocked.Increment(ref _eventWakes);
            _wake.Set();
        };
        try
        {
            NetworkChange.NetworkAddressChanged += _onChange;
        }
        catch (PlatformNotSupportedException)
        {
            // Some platforms have no change events: the periodic check alone keeps the set current.
        }

        _thread = new Thread(Watch) { IsBackground = true, Name = "rebound address watcher" };
        _thread.Start();
    }

    /// <summary>Scans made so far (diagnostics and tests).</summary>
    public long Scans => Interlocked.Read(ref _scans);

    /// <summary>Change events received so far (diagnostics and tests).</summary>
    public long EventWakes => Interlocked.Read(ref _eventWakes);

    /// <summary>How long the watcher waits between checks when no event arrives.</summary>
    public TimeSpan CurrentInterval
    {
        get
        {
            var scaled = TimeSpan.FromTicks(Interlocked.Read(ref _lastScanTicks) * CostFactor);
            return scaled > _interval ? scaled : _interval;
        }
    }

    private void Watch()
    {
        while (!_stopping)
        {
            _wake.WaitOne(CurrentInterval);
            if (_stopping)
            {
                break;
            }

            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                _apply(_read());
            }
            catch (Exception e) when (e is NetworkInformationException or System.Net.Sockets.SocketException or IOException or UnauthorizedAccessException)
            {
                // An interface vanished while being read; the next check sees a consistent picture.
            }

            Interlocked.Exchange(ref _lastScanTicks, System.Diagnostics.Stopwatch.GetElapsedTime(started).Ticks);
            Interlocked.Increment(ref _scans);
        }
    }

    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        try
        {
            NetworkChange.NetworkAddressChanged -= _onChange;
        }
        catch (PlatformNotSupportedException)
        {
        }

        _wake.Set();
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join(TimeSpan.FromSeconds(5));
        }

        // _wake is not disposed: a change event already being raised on the runtime's thread may still set it.
    }
}
