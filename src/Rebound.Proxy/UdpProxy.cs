using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Rebound.Proxy;

/// <summary>
/// A UDP proxy for services that cannot be changed: it listens on wildcard <see cref="ReboundSocket"/>s, gives each
/// client flow (client address, client port, local address targeted) its own upstream socket connected to a configured
/// backend, and sends every backend reply back from the exact address the client targeted. It forwards only to the
/// configured backends, never to an address taken from a packet, so it is not an open relay.
/// </summary>
/// <remarks>
/// The sockets are served by <see cref="ProxyOptions.Threads"/> independent <see cref="ProxyLoop"/>s (one by default).
/// <see cref="Start"/> creates their threads on the calling thread, so calling it inside <c>NetworkNamespace.Run</c>
/// keeps the proxy (front and upstream sockets) in that namespace.
/// </remarks>
public sealed class UdpProxy : IAsyncDisposable
{
    /// <summary>The meter the proxy publishes its counters under (<c>dotnet-counters</c>, OpenTelemetry <c>AddMeter</c>).</summary>
    public const string MeterName = ProxyMetrics.MeterName;

    private readonly ProxyOptions _options;
    private readonly ILogger _logger;
    private readonly List<ProxyLoop> _loops = [];
    private readonly ProxyTotals _totals;
    private Task _completion = new TaskCompletionSource().Task;
    private Meter? _meter;
    private bool _started;
    private int _stopping;

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
        string tableFull = options.Threads == 1
            ? $"the proxy holds its maximum of {options.Limits.MaxFlows} flows"
            : $"this thread holds its share of the {options.Limits.MaxFlows} flows (--max-flows is split over {options.Threads} threads)";
        for (int i = 0; i < options.Threads; i++)
        {
            _loops.Add(new ProxyLoop(options with { Limits = options.LimitsOfLoop(i) }, _logger, tableFull, answersGroups: i == 0));
        }

        _totals = new ProxyTotals([.. _loops.Select(l => l.Counters)]);
    }

    /// <summary>The bound front addresses (actual ports when 0 was asked for), in the order of <see cref="ProxyOptions.Listen"/>.</summary>
    public IReadOnlyList<IPEndPoint> ListenEndPoints => [.. _loops[0].ListenEndPoints];

    /// <summary>After <see cref="Start"/> threw: the front address that could not be bound.</summary>
    public IPEndPoint? FailedListen { get; private set; }

    /// <summary>What the proxy has done so far, summed over its loops.</summary>
    public ProxyStatistics Statistics => _totals.Snapshot();

    /// <summary>Each loop's own statistics, in loop order (to see how the kernel spread the flows).</summary>
    public IReadOnlyList<ProxyStatistics> LoopStatistics => [.. _loops.Select(l => l.Counters.Snapshot())];

    /// <summary>
    /// The client-side traffic as the library counts it on the front sockets: every request received and reply sent
    /// goes through the library's batched calls, so the "Rebound" meter sees the proxy like any other server.
    /// </summary>
    public ReboundStatistics FrontStatistics => _loops.Aggregate(default(ReboundStatistics), (total, loop) => total + loop.FrontStatistics);

    /// <summary>Completes when every event loop has ended (after a stop, or with the error that ended one of them).</summary>
    public Task Completion => _completion;

    /// <summary>Datagrams not forwarded so far for <paramref name="reason"/>, summed over the loops (their total is <see cref="ProxyStatistics.Dropped"/>).</summary>
    public long DroppedFor(DropReason reason) => _totals.DroppedFor(reason);

    /// <summary>
    /// Binds every front address (once per loop) and starts the event loops. Throws <see cref="SocketException"/> when
    /// an address is in use, not local, or needs privileges; nothing stays open then.
    /// </summary>
    public void Start()
    {
        if (_started)
        {
            throw new InvalidOperationException("The proxy is already started.");
        }

        bool shared = _loops.Count > 1;
        IReadOnlyList<IPEndPoint> listen = _options.Listen;
        ProxyLoop? binding = null;
        try
        {
            foreach (ProxyLoop loop in _loops)
            {
                // The first loop binds exclusively, so a port anything else holds (a second proxy too) is refused with
                // "address in use"; it then opens an SO_REUSEPORT group that the other loops join.
                binding = loop;
                loop.Bind(listen, reusePort: loop != _loops[0], openGroup: shared && loop == _loops[0]);

                // The other loops join the first one's sockets: the same addresses and ports (the ones it got for port 0).
                listen = [.. _loops[0].ListenEndPoints];
            }
        }
        catch
        {
            FailedListen = binding?.FailedListen;
            foreach (ProxyLoop loop in _loops)
            {
                loop.Dispose();
            }

            throw;
        }

        _started = true;
        _meter = ProxyMetrics.Create(_totals, ListenEndPoints.Select(e => e.Port).Distinct().Count() == 1 ? ListenEndPoints[0].Port : null);
        ProxyLog.Started(_logger, string.Join(", ", ListenEndPoints), string.Join(", ", _options.Backends), _loops.Count);
        for (int i = 0; i < _loops.Count; i++)
        {
            _loops[i].Start(shared ? $"rebound-proxy-{i}" : "rebound-proxy");
        }

        _completion = RunAsync();
    }

    /// <summary>Starts the proxy (see <see cref="Start"/>); asynchronous in shape only, for hosting code.</summary>
    public Task StartAsync()
    {
        Start();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops gracefully: no new datagrams are read from clients, replies to datagrams already forwarded are delivered
    /// for up to <see cref="ProxyOptions.DrainTimeout"/> (by every loop at once), then every socket closes.
    /// </summary>
    public Task StopAsync()
    {
        if (!_started)
        {
            return Task.CompletedTask;
        }

        if (Interlocked.Exchange(ref _stopping, 1) == 0 && !_completion.IsCompleted)
        {
            ProxyLog.Stopping(_logger, _options.DrainTimeout.TotalSeconds);
            StopLoops();
        }

        return _completion;
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

        // Loops that never ran (never started, or a failed start) free their sockets and buffers here; running ones did.
        foreach (ProxyLoop loop in _loops)
        {
            loop.Dispose();
        }

        _meter?.Dispose();
    }

    /// <summary>Waits for every loop; the first to fail stops the others, so the proxy never runs on fewer cores unnoticed.</summary>
    private async Task RunAsync()
    {
        Task[] loops = [.. _loops.Select(l => l.Completion)];
        Task first = await Task.WhenAny(loops).ConfigureAwait(false);
        if (first.IsFaulted)
        {
            StopLoops();
        }

        try
        {
            await Task.WhenAll(loops).ConfigureAwait(false);
        }
        finally
        {
            ProxyLog.Stopped(_logger, Statistics);
        }
    }

    private void StopLoops()
    {
        foreach (ProxyLoop loop in _loops)
        {
            loop.RequestStop();
        }
    }
}
