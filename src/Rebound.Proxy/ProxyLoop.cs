using System.Net;
using Microsoft.Extensions.Logging;

namespace Rebound.Proxy;

/// <summary>
/// One event loop of a <see cref="UdpProxy"/>: its own front sockets, epoll instance, flow table, upstream sockets,
/// counters and thread. Loops share nothing, so several run on several cores without locks; with more than one, their
/// front sockets share each address with <c>SO_REUSEPORT</c> and the kernel's 4-tuple hash keeps a client flow on one loop.
/// </summary>
internal sealed partial class ProxyLoop : IDisposable
{
    private readonly ProxyOptions _options;
    private readonly ILogger _logger;
    private readonly ProxyCounters _counters = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<ReboundSocket> _fronts = [];
    private readonly FlowTable<ProxyFlow> _table;
    private readonly ProxyFlow?[] _slots;
    private readonly Stack<int> _freeSlots;
    private readonly string _tableFullReason;
    private readonly string _clientLimitReason;
    private readonly UdpEndPoint[] _backends;
    private readonly LocalAddresses _localAddresses = new();
    private readonly bool _answersGroups;
    private Epoll? _epoll;
    private Thread? _thread;
    private volatile bool _stopRequested;
    private bool _disposed;

    /// <param name="options">The proxy's options, with <see cref="ProxyOptions.Limits"/> already this loop's share.</param>
    /// <param name="tableFullReason">What a refusal for a full table logs (built once, so refusing allocates nothing).</param>
    /// <param name="answersGroups">Whether this loop forwards broadcast and multicast datagrams: true for one loop only,
    /// since the kernel gives every loop's socket a copy.</param>
    public ProxyLoop(ProxyOptions options, ILogger logger, string tableFullReason, bool answersGroups = true)
    {
        _answersGroups = answersGroups;
        _backends = [.. options.Backends.Select(b => UdpEndPoint.FromIPEndPoint(b).MapToIPv4())];
        _options = options;
        _logger = logger;
        _table = new FlowTable<ProxyFlow>(options.Limits);
        _slots = new ProxyFlow?[options.Limits.MaxFlows];
        _freeSlots = new Stack<int>(Enumerable.Range(0, options.Limits.MaxFlows).Reverse());
        _tableFullReason = tableFullReason;
        _clientLimitReason = options.Limits.ClientPrefixLengthV6 < 128
            ? $"clients (IPv4 addresses, IPv6 /{options.Limits.ClientPrefixLengthV6} prefixes) reached their maximum of {options.Limits.MaxFlowsPerClient} flows each"
            : $"client addresses reached their maximum of {options.Limits.MaxFlowsPerClient} flows each";
    }

    public ProxyCounters Counters => _counters;

    /// <summary>After <see cref="Bind"/> threw: the front address that could not be bound.</summary>
    public IPEndPoint? FailedListen { get; private set; }

    /// <summary>Completes when the loop has ended (after a stop, or with the error that ended it).</summary>
    public Task Completion => _completion.Task;

    /// <summary>The bound front addresses, in the order they were bound.</summary>
    public IEnumerable<IPEndPoint> ListenEndPoints => _fronts.Select(f => f.LocalEndPoint);

    /// <summary>What this loop's front sockets counted (the library's statistics, also in its "Rebound" meter).</summary>
    public ReboundStatistics FrontStatistics => _fronts.Aggregate(default(ReboundStatistics), (total, front) => total + front.Statistics);

    /// <summary>
    /// Binds <paramref name="listen"/> (joining an existing <c>SO_REUSEPORT</c> group when <paramref name="reusePort"/>;
    /// opening one for later loops after an exclusive bind when <paramref name="openGroup"/>) and registers the sockets
    /// with a new epoll instance. Throws <see cref="System.Net.Sockets.SocketException"/> with the address in
    /// <see cref="FailedListen"/>; the caller then disposes the loop.
    /// </summary>
    public void Bind(IReadOnlyList<IPEndPoint> listen, bool reusePort, bool openGroup)
    {
        var socketOptions = new ReboundSocketOptions { DualStack = _options.DualStack, ReusePort = reusePort };
        foreach (IPEndPoint endPoint in listen)
        {
            FailedListen = endPoint;
            ReboundSocket front = ReboundSocket.Bind(endPoint, socketOptions);
            _fronts.Add(front);
            if (openGroup)
            {
                // Let the other loops' fronts join this socket's SO_REUSEPORT group. Set after the exclusive bind, so
                // the bind itself still fails with "address in use" when another program holds the address.
                Span<byte> one = [1, 0, 0, 0];
                front.Socket.SetRawSocketOption(
                    Rebound.Interop.LinuxConstants.SOL_SOCKET, Rebound.Interop.LinuxConstants.SO_REUSEPORT, one);
            }

            // Every front that can receive a group's family joins it (an IPv4 group on a dual-stack [::] front too);
            // with several loops each joins, and only the first forwards a group's datagram (answersGroups).
            foreach (MulticastGroup group in _options.MulticastGroups)
            {
                if (ProxyOptions.CanReceive(endPoint, _options.DualStack, group))
                {
                    front.JoinMulticastGroup(group);
                }
            }
        }

        FailedListen = null;
        _epoll = new Epoll(256);
        for (int i = 0; i < _fronts.Count; i++)
        {
            _epoll.Add((int)_fronts[i].Socket.SafeHandle.DangerousGetHandle(), FrontToken(i));
        }
    }

    /// <summary>Starts the loop's thread (after a successful <see cref="Bind"/>).</summary>
    public void Start(string name)
    {
        _thread = new Thread(RunLoop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Asks the loop to stop reading clients and drain; <see cref="Completion"/> says when it is done.</summary>
    public void RequestStop()
    {
        if (_thread is null)
        {
            return;
        }

        _stopRequested = true;
        _epoll!.Wake();
    }

    /// <summary>Frees what a loop that never started holds; a started loop frees everything itself when it ends.</summary>
    public void Dispose()
    {
        if (_thread is null && !_disposed)
        {
            _disposed = true;
            CloseFronts();
            _epoll?.Dispose();
            _received.Dispose();
            _transmit.Dispose();
        }
    }

    private void CloseFronts()
    {
        foreach (ReboundSocket front in _fronts)
        {
            front.Dispose();
        }
    }

    /// <summary>
    /// A front socket's epoll token. Tokens 0 to MaxFlows - 1 are the upstream flows' slots, so the fronts take the
    /// numbers after them (and <see cref="Epoll.WakeToken"/> is the largest).
    /// </summary>
    private ulong FrontToken(int index) => (ulong)_slots.Length + (uint)index;

    private bool IsFrontToken(ulong token) => token >= (ulong)_slots.Length;
}
