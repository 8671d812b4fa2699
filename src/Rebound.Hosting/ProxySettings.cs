using System.Net;
using Microsoft.Extensions.Configuration;
using Rebound.Proxy;

namespace Rebound.Hosting;

/// <summary>
/// The configuration shape of <see cref="ProxyOptions"/> (addresses as text, limits optional), bound with the
/// source-generated binder so the package stays NativeAOT-safe, then checked and turned into options.
/// </summary>
internal sealed class ProxySettings
{
    public List<string> Listen { get; set; } = [];

    public List<string> Backends { get; set; } = [];

    public bool DualStack { get; set; } = true;

    public int Threads { get; set; } = 1;

    public TimeSpan DrainTimeout { get; set; } = ProxyOptions.DefaultDrainTimeout;

    public TimeSpan IdleTimeout { get; set; } = FlowLimits.DefaultIdleTimeout;

    public TimeSpan OneWayIdleTimeout { get; set; } = FlowLimits.DefaultOneWayIdleTimeout;

    public int MaxFlows { get; set; } = FlowLimits.DefaultMaxFlows;

    public int MaxFlowsPerClient { get; set; } = FlowLimits.DefaultMaxFlowsPerClient;

    /// <summary>Binds <paramref name="configuration"/> and makes the options; every problem names the section.</summary>
    /// <exception cref="ArgumentException">An address is not an address and port, or the options make no sense.</exception>
    /// <exception cref="InvalidOperationException">A value is not of its setting's type.</exception>
    public static ProxyOptions Read(IConfiguration configuration)
    {
        string where = configuration is IConfigurationSection section ? $"configuration section '{section.Path}'" : "the configuration";
        var settings = new ProxySettings();
        configuration.Bind(settings);
        var options = new ProxyOptions
        {
            Listen = [.. settings.Listen.Select(text => Parse(text, "Listen", where, nameof(configuration)))],
            Backends = [.. settings.Backends.Select(text => Parse(text, "Backends", where, nameof(configuration)))],
            DualStack = settings.DualStack,
            Threads = settings.Threads,
            DrainTimeout = settings.DrainTimeout,
            Limits = new FlowLimits
            {
                IdleTimeout = settings.IdleTimeout,
                OneWayIdleTimeout = settings.OneWayIdleTimeout,
                MaxFlows = settings.MaxFlows,
                MaxFlowsPerClient = settings.MaxFlowsPerClient,
            },
        };
        return options.Validate() is string problem
            ? throw new ArgumentException($"{where}: {problem}.", nameof(configuration))
            : options;
    }

    private static IPEndPoint Parse(string text, string key, string where, string parameter) =>
        IPEndPoint.TryParse(text, out IPEndPoint? endPoint)
            ? endPoint
            : throw new ArgumentException($"{where}: {key} '{text}' is not an address and port, such as [::]:53 or 127.0.0.1:5353.", parameter);
}
