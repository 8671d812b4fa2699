using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Rebound.Hosting;

/// <summary>
/// Runs one <see cref="ReboundServer"/> for the lifetime of a host: binds and starts serving in
/// <see cref="StartAsync"/> (a bind failure fails the host's start), and in <see cref="StopAsync"/> stops receiving,
/// lets in-flight replies go out, and closes the sockets. Register it with
/// <see cref="ReboundServiceCollectionExtensions.AddReboundServer(Microsoft.Extensions.DependencyInjection.IServiceCollection, string, DatagramHandler, Action{ReboundServerOptions}?)"/>;
/// resolve it to read <see cref="Server"/> (its bound port, its statistics).
/// </summary>
public sealed partial class ReboundHostedServer : IHostedService, IDisposable
{
    private readonly IPEndPoint _endPoint;
    private readonly DatagramHandler _handler;
    private readonly ReboundServerOptions _options;
    private readonly ILogger _logger;

    /// <summary>How often an error the server survives (<see cref="ReboundServerOptions.OnError"/>) is logged at most; the ones in between are counted in the next line.</summary>
    internal static readonly TimeSpan HandlerErrorLogInterval = TimeSpan.FromSeconds(1);

    internal ReboundHostedServer(IPEndPoint endPoint, DatagramHandler handler, ReboundServerOptions options, ILogger logger, TimeProvider? time = null)
    {
        _endPoint = endPoint;
        _handler = handler;
        _logger = logger;
        var errors = new RateLimitedErrorLog(HandlerErrorLogInterval, time ?? TimeProvider.System, LogRequestFailed);
        Action<Exception>? userCallback = options.OnError;
        _options = new ReboundServerOptions
        {
            SocketCount = options.SocketCount,
            BatchSize = options.BatchSize,
            BufferSize = options.BufferSize,
            Socket = options.Socket,
            OnError = e =>
            {
                errors.Report(e);
                userCallback?.Invoke(e);
            },
        };
    }

    /// <summary>The running server; null before the host starts.</summary>
    public ReboundServer? Server { get; private set; }

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            Server = ReboundServer.Start(_endPoint, _handler, _options);
        }
        catch (SocketException e)
        {
            LogBindFailed(e, _endPoint, e.SocketErrorCode);
            throw;
        }

        LogListening(Server.LocalEndPoint, Server.SocketCount, _options.BatchSize);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        ReboundServer? server = Server;
        if (server is null)
        {
            return;
        }

        try
        {
            await server.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            LogStopCutShort(server.LocalEndPoint);
        }

        ReboundStatistics stats = server.Statistics;
        LogStopped(server.LocalEndPoint, stats.Received, stats.Sent, stats.Received - stats.Sent);
    }

    /// <inheritdoc/>
    public void Dispose() => Server?.Dispose();

    [LoggerMessage(1, LogLevel.Information, "Rebound server listening on {EndPoint} with {Sockets} sockets, batches of {BatchSize}; replies leave from each request's destination address")]
    private partial void LogListening(IPEndPoint endPoint, int sockets, int batchSize);

    [LoggerMessage(2, LogLevel.Error, "Rebound server cannot listen on {EndPoint}: {Error}")]
    private partial void LogBindFailed(Exception exception, IPEndPoint endPoint, SocketError error);

    [LoggerMessage(3, LogLevel.Warning, "Rebound server: an error it survived, such as a handler that threw ({Unlogged} more since the last such line were not logged; at most one a second)")]
    private partial void LogRequestFailed(Exception exception, long unlogged);

    [LoggerMessage(4, LogLevel.Warning, "Rebound server on {EndPoint}: stop timed out; sockets closed, unsent replies lost")]
    private partial void LogStopCutShort(IPEndPoint endPoint);

    [LoggerMessage(5, LogLevel.Information, "Rebound server on {EndPoint} stopped: {Received} received, {Sent} sent, {Unanswered} not answered")]
    private partial void LogStopped(IPEndPoint endPoint, long received, long sent, long unanswered);
}
