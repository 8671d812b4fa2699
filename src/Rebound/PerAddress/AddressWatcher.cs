using System.Net.NetworkInformation;

namespace Rebound.PerAddress;

/// <summary>
/// Tells a per-address socket set when the host's addresses may have changed: at every
/// <see cref="NetworkChange.NetworkAddressChanged"/> event, and at least every <see cref="DefaultInterval"/> in case an
/// event is missed (or, on Linux, fired for another network namespace). It runs on a thread of its own, started by
/// the thread that opened the set, so on Linux it reads the addresses of, and binds its sockets in, that thread's
/// network namespace.
/// </summary>
internal sealed class AddressWatcher : IDisposable
{
    /// <summary>
    /// The periodic check. A new address is served at most this long (plus a scan) after it appears, even when no change
    /// event arrives; one scan reads every interface once (well under a millisecond for a few hundred addresses).
    /// </summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(250);

    private readonly Func<HashSet<UdpEndPoint>> _read;
    private readonly Action<HashSet<UdpEndPoint>> _apply;
    private readonly TimeSpan _interval;
    private readonly AutoResetEvent _wake = new(false);
    private readonly NetworkAddressChangedEventHandler _onChange;
    private readonly Thread _thread;
    private volatile bool _stopping;

    public AddressWatcher(Func<HashSet<UdpEndPoint>> read, Action<HashSet<UdpEndPoint>> apply, TimeSpan interval)
    {
        _read = read;
        _apply = apply;
        _interval = interval;
        _onChange = (_, _) => _wake.Set();
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

    private void Watch()
    {
        while (!_stopping)
        {
            _wake.WaitOne(_interval);
            if (_stopping)
            {
                break;
            }

            try
            {
                _apply(_read());
            }
            catch (Exception e) when (e is NetworkInformationException or System.Net.Sockets.SocketException or IOException or UnauthorizedAccessException)
            {
                // An interface vanished while being read; the next check sees a consistent picture.
            }
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
