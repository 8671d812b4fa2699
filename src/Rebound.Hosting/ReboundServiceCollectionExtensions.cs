using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Rebound.Hosting;

/// <summary>Registers Rebound servers as hosted services.</summary>
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
}
