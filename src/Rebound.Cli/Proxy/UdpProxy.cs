using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Rebound.Cli.Proxy;

/// <summary>
/// A UDP proxy for services that cannot be changed: it listens on wildcard <see cref="ReboundSocket"/>s, gives each
/// client flow (client address, client port, local address targeted) its own upstream socket connected to a configured
/// backend, and sends every backend reply back from the exact address the client targeted. It forwards only to the
/// configured backends, never to an address taken from a packet, so it is not an open relay.
/// </summary>
/// <remarks>
/// All sockets are served by one event-loop thread. <see cref="Start"/> creates that thread on the calling thread, so
/// calling it inside <c>NetworkNamespace.Run</c> keeps the proxy (front and upstream sockets) in that namespace.
/// </remarks>
internal sealed partial class UdpProxy : IAsyncDisposable
{
    private readonly ProxyOptions _options;
    private readonly ILogger _logger;
    private readonly ProxyCounters _counters = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<ReboundSocket> _fronts = [];
    private Meter? _meter;
    private Epoll? _epoll;
    private Thread? _thread;
    private volatile bool _stopRequested;

    public UdpProxy(ProxyOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        string? problem = options.Validate();
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _table = new FlowTable<ProxyFlow>(options.Limits);
        _slots = new ProxyFlow?[options.Limits.MaxFlows];
        _freeSlots = new Stack<int>(Enumerable.Range(0, options.Limits.MaxFlows).Reverse());
    }

    /// <summary>The bound front addresses (actual ports when 0 was asked for), in the order of <see cref="ProxyOptions.Listen"/>.</summary>
    public IReadOnlyList<IPEndPoint> ListenEndPoints => [.. _fronts.Select(f => f.LocalEndPoint)];

    /// <summary>After <see cref="Start"/> threw: the front address that could not be bound.</summary>
    public IPEndPoint? FailedListen { get; private set; }

    /// <summary>What the proxy has done so far.</summary>
    public ProxyStatistics Statistics => _counters.Snapshot();

    /// <summary>Completes when the event loop has ended (after a stop, or with the error that ended it).</summary>
    public Task Completion => _completion.Task;

    internal ProxyCounters Counters => _counters;

    /// <summary>
    /// Binds every front address and starts the event loop. Throws <see cref="SocketException"/> when an address is in
    /// use, not local, or needs privileges; nothing stays open then.
    /// </summary>
    public void Start()
    {
        if (_thread is not null)
        {
            throw new InvalidOperationException("The proxy is already started.");
        }

        try
        {
            foreach (IPEndPoint listen in _options.Listen)
            {
                FailedListen = listen;
                _fronts.Add(ReboundSocket.Bind(listen, new ReboundSocketOptions { DualStack = _options.DualStack }));
            }

            FailedListen = null;

            _epoll = new Epoll(256);
            for (int i = 0; i < _fronts.Count; i++)
            {
                _epoll.Add((int)_fronts[i].Socket.SafeHandle.DangerousGetHandle(), FrontToken(i));
            }
        }
        catch
        {
            CloseFronts();
            _epoll?.Dispose();
            throw;
        }

        _meter = ProxyMetrics.Create(_counters);
        ProxyLog.Started(_logger, string.Join(", ", ListenEndPoints), string.Join(", ", _options.Backends));
        _thread = new Thread(RunLoop) { IsBackground = true, Name = "rebound-proxy" };
        _thread.Start();
    }

    /// <summary>Starts the proxy (see <see cref="Start"/>); asynchronous in shape only, for hosting code.</summary>
    public Task StartAsync()
    {
        Start();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops gracefully: no new datagrams are read from clients, replies to datagrams already forwarded are delivered
    /// for up to <see cref="ProxyOptions.DrainTimeout"/>, then every socket closes.
    /// </summary>
    public Task StopAsync()
    {
        if (_thread is null)
        {
            return Task.CompletedTask;
        }

        _stopRequested = true;
        _epoll!.Wake();
        return _completion.Task;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // The loop's own failure was already reported through Completion.
        }

        if (_thread is null)
        {
            CloseFronts();
            _epoll?.Dispose();
        }

        _meter?.Dispose();
    }

    private void CloseFronts()
    {
        foreach (ReboundSocket front in _fronts)
        {
            front.Dispose();
        }
    }

    private static ulong FrontToken(int index) => (1UL << 62) | (uint)index;
}
