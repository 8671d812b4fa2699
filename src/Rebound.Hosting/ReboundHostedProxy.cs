using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rebound.Proxy;

namespace Rebound.Hosting;

/// <summary>
/// Runs one in-process <see cref="UdpProxy"/> for the lifetime of a host: binds its front addresses and starts its
/// event loops in <see cref="StartAsync"/> (a bind failure fails the host's start), and in <see cref="StopAsync"/>
/// stops reading clients, delivers the replies still owed for up to <see cref="ProxyOptions.DrainTimeout"/>, and closes
/// every socket. Register it with <see cref="ReboundServiceCollectionExtensions.AddReboundProxy(Microsoft.Extensions.DependencyInjection.IServiceCollection, ProxyOptions)"/>;
/// resolve it to read <see cref="Proxy"/> (its bound addresses, its statistics).
/// </summary>
public sealed partial class ReboundHostedProxy : IHostedService, IAsyncDisposable
{
    private readonly ILogger _logger;

    internal ReboundHostedProxy(ProxyOptions options, ILogger logger)
    {
        _logger = logger;
        Proxy = new UdpProxy(options, logger);
    }

    /// <summary>The proxy (bound and running once the host has started).</summary>
    public UdpProxy Proxy { get; }

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            Proxy.Start();
        }
        catch (SocketException e)
        {
            LogBindFailed(e, Proxy.FailedListen?.ToString() ?? "?", e.SocketErrorCode);
            throw;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) => Proxy.StopAsync().WaitAsync(cancellationToken);

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => Proxy.DisposeAsync();

    [LoggerMessage(1, LogLevel.Error, "Rebound proxy cannot listen on {EndPoint}: {Error}")]
    private partial void LogBindFailed(Exception exception, string endPoint, SocketError error);
}
