using System.Net;
using System.Net.Sockets;

namespace Rebound.PerAddress;

/// <summary>
/// The portable strategy behind a wildcard bind: instead of one socket that reads each request's destination
/// (IP_PKTINFO), one socket per unicast local address on the requested port, as BIND, unbound and Technitium do.
/// A request is read from the socket bound to the address it was sent to and answered on that same socket, so the reply
/// leaves from that address without any control message. <see cref="AddressWatcher"/> adds and removes sockets as the
/// host's addresses change.
/// </summary>
/// <remarks>
/// Receive, reply and send are thread-safe and allocate nothing in steady state. Sockets that stay served are never
/// touched by a change, so a change loses none of their datagrams.
/// </remarks>
internal sealed class PerAddressSocketSet : IDisposable
{
    private readonly object _gate = new();
    private readonly ReboundSocketOptions _options;
    private readonly ReadySockets _ready = new();
    private readonly SocketCounters _counters;
    private readonly AddressWatcher? _watcher;
    private volatile Dictionary<UdpEndPoint, AddressSocket> _sockets = [];
    private volatile Dictionary<UdpEndPoint, SocketError> _unserved = [];
    private bool _disposed;

    [ThreadStatic]
    private static SocketAddress? t_v4Destination;

    [ThreadStatic]
    private static SocketAddress? t_v6Destination;

    private PerAddressSocketSet(IPEndPoint requested, ReboundSocketOptions options, SocketCounters counters, TimeSpan scanInterval)
    {
        _options = options;
        _counters = counters;
        Families = LocalAddresses.For(requested.Address, options.DualStack || requested.Address.IsIPv4MappedToIPv6);
        ReportsMapped = Families == LocalAddresses.Families.Both;
        RequestedAddress = requested.Address;
        Port = (ushort)requested.Port;
        if (IsWildcard)
        {
            BindInitial(LocalAddresses.Read(Families));
            _watcher = new AddressWatcher(() => LocalAddresses.Read(Families), Reconcile, scanInterval);
        }
        else
        {
            LocalAddresses.TryKey(requested.Address, LocalAddresses.Families.Both, out UdpEndPoint only);
            BindInitial([only]);
        }
    }

    /// <summary>The watcher of a wildcard set (null for one address): scans and change events, for diagnostics.</summary>
    internal AddressWatcher? Watcher => _watcher;

    /// <summary>The address asked for: a wildcard (served per address) or one address (served by one socket).</summary>
    public IPAddress RequestedAddress { get; }

    /// <summary>The port every socket of the set is bound to.</summary>
    public ushort Port { get; private set; }

    /// <summary>Which families the set serves.</summary>
    public LocalAddresses.Families Families { get; }

    /// <summary>True when IPv4 requests are reported v4-mapped (a dual-stack <c>[::]</c> request).</summary>
    public bool ReportsMapped { get; }

    private bool IsWildcard => RequestedAddress.Equals(IPAddress.Any) || RequestedAddress.Equals(IPAddress.IPv6Any);

    /// <summary>The addresses served right now.</summary>
    public IReadOnlyCollection<UdpEndPoint> Served => _sockets.Keys;

    /// <summary>Local addresses that could not be bound at the last check, with why (retried at every check).</summary>
    public IReadOnlyDictionary<UdpEndPoint, SocketError> Unserved => _unserved;

    /// <summary>How long a receive waits; infinite by default.</summary>
    public TimeSpan ReceiveTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>Binds the set. A wildcard address gets one socket per local address and a watcher.</summary>
    /// <exception cref="SocketException">The port is in use on one of the addresses, or no address could be bound.</exception>
    public static PerAddressSocketSet Open(IPEndPoint requested, ReboundSocketOptions options, SocketCounters counters, TimeSpan? scanInterval = null) =>
        new(requested, options, counters, scanInterval ?? AddressWatcher.DefaultInterval);

    /// <summary>Checks the addresses now instead of waiting for the next change or periodic check (tests, and after Open).</summary>
    public void Rescan() => Reconcile(LocalAddresses.Read(Families));

    private void BindInitial(HashSet<UdpEndPoint> addresses)
    {
        // Port 0 lets the first bind pick a port; another program may hold that port on a later address, so try again.
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                BindAll(addresses);
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse && Port == 0 && attempt < 8)
            {
                CloseAll();
            }
        }
    }

    private void BindAll(HashSet<UdpEndPoint> addresses)
    {
        ushort port = Port;
        var sockets = new Dictionary<UdpEndPoint, AddressSocket>();
        var unserved = new Dictionary<UdpEndPoint, SocketError>();
        try
        {
            // Loopback first: it always exists, so port 0 settles on a port there.
            foreach (UdpEndPoint address in addresses.OrderByDescending(a => IPAddress.IsLoopback(a.ToIPAddress())))
            {
                try
                {
                    AddressSocket socket = AddressSocket.Open(address, port, _options, _ready, ReportsMapped);
                    sockets.Add(address, socket);
                    port = socket.Local.Port;
                }
                catch (SocketException e) when (e.SocketErrorCode != SocketError.AddressAlreadyInUse && e.SocketErrorCode != SocketError.AccessDenied)
                {
                    unserved[address] = e.SocketErrorCode;   // e.g. an IPv6 address still tentative: retried later
                }
            }

            if (sockets.Count == 0)
            {
                throw new SocketException((int)SocketError.AddressNotAvailable,
                    $"No local address of the requested families could be bound on port {port} ({unserved.Count} tried).");
            }
        }
        catch
        {
            foreach (AddressSocket socket in sockets.Values)
            {
                socket.Dispose();
            }

            throw;
        }

        Port = port;
        _sockets = sockets;
        _unserved = unserved;
        foreach (AddressSocket socket in sockets.Values)
        {
            socket.Arm();
        }
    }

    /// <summary>
    /// Brings the set in line with <paramref name="current"/>: binds a socket for each new address, closes the socket of
    /// each vanished one, and leaves the others alone. Never throws for one address: a failed bind is recorded in
    /// <see cref="Unserved"/> and tried again at the next check.
    /// </summary>
    internal void Reconcile(HashSet<UdpEndPoint> current)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            Dictionary<UdpEndPoint, AddressSocket> before = _sockets;
            if (_unserved.Count == 0 && Unchanged(before, current))
            {
                return;   // the usual periodic check: nothing to do, nothing allocated
            }

            var after = new Dictionary<UdpEndPoint, AddressSocket>(before.Count + 4);
            var unserved = new Dictionary<UdpEndPoint, SocketError>();
            var added = new List<AddressSocket>();
            foreach (UdpEndPoint address in current)
            {
                if (before.TryGetValue(address, out AddressSocket? kept))
                {
                    after.Add(address, kept);
                    continue;
                }

                try
                {
                    AddressSocket socket = AddressSocket.Open(address, Port, _options, _ready, ReportsMapped);
                    after.Add(address, socket);
                    added.Add(socket);
                }
                catch (SocketException e)
                {
                    unserved[address] = e.SocketErrorCode;
                }
            }

            // Publish first, then close: a reply racing with the removal finds no socket (or a closed one) and reports
            // the source as unavailable, exactly as a pktinfo send from a vanished address does.
            _sockets = after;
            _unserved = unserved;
            foreach ((UdpEndPoint address, AddressSocket socket) in before)
            {
                if (!after.ContainsKey(address))
                {
                    socket.Dispose();
                }
            }

            foreach (AddressSocket socket in added)
            {
                socket.Arm();
            }
        }
    }

    private static bool Unchanged(Dictionary<UdpEndPoint, AddressSocket> served, HashSet<UdpEndPoint> current)
    {
        if (served.Count != current.Count)
        {
            return false;
        }

        foreach (UdpEndPoint address in current)
        {
            if (!served.ContainsKey(address))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Receives one datagram, waiting up to <see cref="ReceiveTimeout"/>.</summary>
    public ReceivedDatagram Receive(Span<byte> buffer)
    {
        while (true)
        {
            AddressSocket socket = _ready.Take(ReceiveTimeout);
            if (ReadFrom(socket, buffer, out ReceivedDatagram datagram))
            {
                return datagram;
            }
        }
    }

    /// <summary>Receives one datagram if one is queued.</summary>
    public bool TryReceive(Span<byte> buffer, out ReceivedDatagram datagram)
    {
        while (_ready.TryTake(out AddressSocket? socket))
        {
            if (ReadFrom(socket!, buffer, out datagram))
            {
                return true;
            }
        }

        datagram = default;
        return false;
    }

    /// <summary>Receives one datagram, waiting without a thread.</summary>
    public async ValueTask<ReceivedDatagram> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            AddressSocket socket = await _ready.TakeAsync(cancellationToken).ConfigureAwait(false);
            if (ReadFrom(socket, buffer.Span, out ReceivedDatagram datagram))
            {
                return datagram;
            }
        }
    }

    /// <summary>Takes a readable socket, waiting without a thread; read it with <see cref="ReadFrom"/>.</summary>
    internal ValueTask<AddressSocket> TakeReadyAsync(CancellationToken cancellationToken) => _ready.TakeAsync(cancellationToken);

    /// <summary>Takes a readable socket, waiting up to <see cref="ReceiveTimeout"/>; read it with <see cref="ReadHeld"/>, then <see cref="AddressSocket.Arm"/> it.</summary>
    internal AddressSocket TakeReady() => _ready.Take(ReceiveTimeout);

    /// <summary>Takes a readable socket if one is queued.</summary>
    internal AddressSocket? TryTakeReady() => _ready.TryTake(out AddressSocket? socket) ? socket : null;

    /// <summary>Reads one datagram from a socket this thread holds, then re-arms it (it rejoins the queue at once if more are queued).</summary>
    internal bool ReadFrom(AddressSocket socket, Span<byte> buffer, out ReceivedDatagram datagram)
    {
        bool got = ReadHeld(socket, buffer, out datagram);
        socket.Arm();
        return got;
    }

    /// <summary>Reads one datagram from a socket this thread holds, leaving it held (not re-armed).</summary>
    internal bool ReadHeld(AddressSocket socket, Span<byte> buffer, out ReceivedDatagram datagram)
    {
        bool got = socket.TryReceive(buffer, out datagram);
        if (got)
        {
            _counters.CountReceived(datagram);
        }

        return got;
    }

    /// <summary>
    /// Sends <paramref name="payload"/> to <paramref name="destination"/> on the socket bound to
    /// <paramref name="source"/>. Returns <see cref="SocketError.Success"/>, or why not:
    /// <see cref="SocketError.AddressNotAvailable"/> when no socket serves that address (any more).
    /// Waits while the send buffer is full.
    /// </summary>
    public SocketError Send(ReadOnlySpan<byte> payload, UdpEndPoint destination, UdpEndPoint source)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_sockets.TryGetValue(LocalAddresses.Normalize(source), out AddressSocket? socket))
        {
            return SocketError.AddressNotAvailable;
        }

        UdpEndPoint to = socket.Local.IsIPv4 ? destination.MapToIPv4() : destination;
        if (to.IsIPv4 != socket.Local.IsIPv4)
        {
            return SocketError.AddressFamilyNotSupported;
        }

        SocketAddress scratch = to.IsIPv4
            ? t_v4Destination ??= PortableSocketAddress.ForFamily(AddressFamily.InterNetwork)
            : t_v6Destination ??= PortableSocketAddress.ForFamily(AddressFamily.InterNetworkV6);
        while (true)
        {
            SocketError error = socket.TrySend(payload, to, scratch);
            if (error != SocketError.WouldBlock)
            {
                return error;
            }

            socket.WaitWritable(TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>Wakes every blocked receiver with <see cref="SocketError.Shutdown"/>; replies still go out until Dispose.</summary>
    public void ShutDownReceive() => _ready.ShutDown();

    private void CloseAll()
    {
        foreach (AddressSocket socket in _sockets.Values)
        {
            socket.Dispose();
        }

        _sockets = [];
    }

    /// <summary>Stops watching and closes every socket.</summary>
    public void Dispose()
    {
        _watcher?.Dispose();
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _ready.ShutDown();
            CloseAll();
        }
    }
}
