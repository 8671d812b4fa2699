using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rebound.Proxy;

namespace Rebound.Hosting;

/// <summary>Registers Rebound servers and proxies as hosted services.</summary>
public static class ReboundServiceCollectionExtensions
{
    /// <summary>
    /// Adds a hosted <see cref="ReboundServer"/> on <paramref name="endPoint"/> (<c>[::]:53</c>, <c>0.0.0.0:5353</c>)
    /// answering with <paramref name="handler"/>. Call once per address; each call adds its own server.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="endPoint">The address and port to bind.</param>
    /// <param name="handler">Answers each request; see <see cref="DatagramHandler"/>.</param>
    /// <param name="configure">Adjusts sockets, batch size, buffer size.</param>
    /// <exception cref="ArgumentException"><paramref name="endPoint"/> is not an address and port.</exception>
    public static IServiceCollection AddReboundServer(
        this IServiceCollection services,
        string endPoint,
        DatagramHandler handler,
        Action<ReboundServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return services.AddReboundServer(endPoint, _ => handler, configure);
    }

    /// <summary>
    /// Adds a hosted <see cref="ReboundServer"/> configured by a configuration section (appsettings.json, environment
    /// variables, command line): <c>EndPoint</c> (required) and any <see cref="ReboundServerOptions"/> property —
    /// <c>SocketCount</c>, <c>BatchSize</c>, <c>BufferSize</c>, <c>Socket:DualStack</c>, <c>Socket:ReusePort</c>,
    /// <c>Socket:ReceiveBufferSize</c>, <c>Socket:SendBufferSize</c>. For example
    /// <c>services.AddReboundServer(builder.Configuration.GetSection("Rebound"), handler)</c> with
    /// <c>{ "Rebound": { "EndPoint": "[::]:53", "SocketCount": 2 } }</c>. Binding is source-generated (AOT-safe).
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">The section holding <c>EndPoint</c> and the options.</param>
    /// <param name="handler">Answers each request; see <see cref="DatagramHandler"/>.</param>
    /// <param name="configure">Adjusts the options after the section is bound.</param>
    /// <exception cref="ArgumentException">The section has no <c>EndPoint</c>, or it is not an address and port.</exception>
    /// <exception cref="InvalidOperationException">A value in the section is not of its option's type.</exception>
    public static IServiceCollection AddReboundServer(
        this IServiceCollection services,
        IConfiguration configuration,
        DatagramHandler handler,
        Action<ReboundServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(handler);
        string where = configuration is IConfigurationSection section ? $"configuration section '{section.Path}'" : "the configuration";
        string endPoint = configuration["EndPoint"] is { Length: > 0 } value
            ? value
            : throw new ArgumentException($"{where} has no EndPoint (such as [::]:53).", nameof(configuration));
        return services.AddReboundServer(endPoint, _ => handler, options =>
        {
            configuration.Bind(options);
            configure?.Invoke(options);
        });
    }

    /// <summary>
    /// Adds a hosted <see cref="ReboundServer"/> whose handler comes from the service provider (for handlers that use
    /// other services, such as a zone store).
    /// </summary>
    /// <inheritdoc cref="AddReboundServer(IServiceCollection, string, DatagramHandler, Action{ReboundServerOptions}?)"/>
    public static IServiceCollection AddReboundServer(
        this IServiceCollection services,
        string endPoint,
        Func<IServiceProvider, DatagramHandler> handler,
        Action<ReboundServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentNullException.ThrowIfNull(handler);
        if (!IPEndPoint.TryParse(endPoint, out IPEndPoint? address))
        {
            throw new ArgumentException($"'{endPoint}' is not an address and port, such as [::]:53 or 0.0.0.0:5353.", nameof(endPoint));
        }

        var options = new ReboundServerOptions();
        configure?.Invoke(options);

        // A key per call keeps several servers apart while the host and the caller resolve the same instance.
        object key = new();
        services.AddKeyedSingleton(key, (provider, _) =>
        {
            ILogger logger = provider.GetService<ILoggerFactory>()?.CreateLogger<ReboundHostedServer>() ?? NullLogger<ReboundHostedServer>.Instance;
            return new ReboundHostedServer(address, handler(provider), options, logger);
        });
        services.AddSingleton(provider => provider.GetRequiredKeyedService<ReboundHostedServer>(key));
        services.AddSingleton<IHostedService>(provider => provider.GetRequiredKeyedService<ReboundHostedServer>(key));
        return services;
    }

    /// <summary>
    /// Adds a hosted in-process <see cref="UdpProxy"/>: it fronts UDP services that cannot be changed and sends every
    /// backend reply from the address the client asked (the library's <c>rebound proxy</c>). Call once per proxy; each
    /// call adds its own. Resolve <see cref="ReboundHostedProxy"/> to read the running proxy.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="options">Front addresses, backends, limits.</param>
    /// <exception cref="ArgumentException">The options make no sense (<see cref="ProxyOptions.Validate"/> says why).</exception>
    public static IServiceCollection AddReboundProxy(this IServiceCollection services, ProxyOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Validate() is string problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        object key = new();
        services.AddKeyedSingleton(key, (provider, _) =>
        {
            ILogger logger = provider.GetService<ILoggerFactory>()?.CreateLogger("Rebound.Proxy") ?? NullLogger.Instance;
            return new ReboundHostedProxy(options, logger);
        });
        services.AddSingleton(provider => provider.GetRequiredKeyedService<ReboundHostedProxy>(key));
        services.AddSingleton<IHostedService>(provider => provider.GetRequiredKeyedService<ReboundHostedProxy>(key));
        return services;
    }

    /// <summary>
    /// Adds a hosted <see cref="UdpProxy"/> configured by a configuration section: <c>Listen</c> and <c>Backends</c>
    /// (arrays of <c>address:port</c>, required), and optionally <c>Threads</c>, <c>DualStack</c>, <c>DrainTimeout</c>,
    /// <c>IdleTimeout</c>, <c>OneWayIdleTimeout</c> (as <c>hh:mm:ss</c>), <c>MaxFlows</c>, <c>MaxFlowsPerClient</c>.
    /// For example <c>services.AddReboundProxy(builder.Configuration.GetSection("Proxy"))</c> with
    /// <c>{ "Proxy": { "Listen": [ "[::]:53" ], "Backends": [ "127.0.0.1:5353" ] } }</c>. Binding is source-generated (AOT-safe).
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">The section holding the settings.</param>
    /// <exception cref="ArgumentException">An address is not an address and port, or the settings make no sense; the message names the section.</exception>
    /// <exception cref="InvalidOperationException">A value in the section is not of its setting's type.</exception>
    public static IServiceCollection AddReboundProxy(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddReboundProxy(ProxySettings.Read(configuration));
    }
}
