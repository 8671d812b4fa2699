using System.Net;
using Rebound.Cli.Infrastructure;
using Rebound.Proxy;

namespace Rebound.Cli.Commands;

/// <summary>
/// The proxy's settings as given on the command line and in an optional JSON file, merged (the command line wins) and
/// checked into <see cref="ProxyOptions"/>, with one clear sentence when something is wrong.
/// </summary>
internal sealed record ProxyRequest(
    IReadOnlyList<string> Listen,
    IReadOnlyList<string> Backends,
    FileInfo? ConfigFile,
    double? IdleTimeoutSeconds,
    double? OneWayTimeoutSeconds,
    int? MaxFlows,
    int? MaxFlowsPerClient,
    bool? DualStack,
    int? Threads = null,
    string? MetricsListen = null,
    IReadOnlyList<string>? Join = null,
    int? ClientPrefixLengthV6 = null)
{
    public bool TryBuild(out ProxyOptions? options, out string error) => TryBuild(out options, out _, out error);

    /// <summary>Also gives the address to serve metrics on (<c>--metrics-listen</c> / <c>"metricsListen"</c>), null when none.</summary>
    public bool TryBuild(out ProxyOptions? options, out IPEndPoint? metricsListen, out string error)
    {
        options = null;
        metricsListen = null;
        ProxyConfigFile file = new();
        if (ConfigFile is not null)
        {
            ProxyConfigFile? loaded = ProxyConfigFile.Load(ConfigFile.FullName, out error);
            if (loaded is null)
            {
                return false;
            }

            file = loaded;
        }

        IEnumerable<string> listen = Listen.Count > 0 ? Listen : file.Listen ?? [];
        IEnumerable<string> backends = Backends.Count > 0 ? Backends : file.Backends ?? [];
        if (!ProxyConfigFile.TryParseEndpoints(listen, IPAddress.IPv6Any, "--listen", out List<IPEndPoint> listenEndPoints, out error) ||
            !ProxyConfigFile.TryParseEndpoints(backends, IPAddress.Loopback, "--to", out List<IPEndPoint> backendEndPoints, out error))
        {
            return false;
        }

        IPEndPoint? metrics = null;
        string? metricsText = MetricsListen ?? file.MetricsListen;
        if (metricsText is not null)
        {
            if (!EndpointParser.TryParse(metricsText, IPAddress.Loopback, out IPEndPoint parsed, out string why))
            {
                error = $"--metrics-listen: {why}";
                return false;
            }

            if (parsed.Port == 0)
            {
                error = "--metrics-listen needs a port, e.g. 127.0.0.1:9464";
                return false;
            }

            metrics = parsed;
        }

        double idle = IdleTimeoutSeconds ?? file.IdleTimeoutSeconds ?? FlowLimits.DefaultIdleTimeout.TotalSeconds;
        double oneWay = OneWayTimeoutSeconds ?? file.OneWayIdleTimeoutSeconds ?? FlowLimits.DefaultOneWayIdleTimeout.TotalSeconds;
        double drain = file.DrainTimeoutSeconds ?? ProxyOptions.DefaultDrainTimeout.TotalSeconds;
        if (!IsSeconds(idle) || !IsSeconds(oneWay) || !IsSeconds(drain))
        {
            error = "timeouts are seconds between 0.001 and 86400";
            return false;
        }

        int threads = Threads ?? file.Threads ?? 1;
        if (threads < 0)
        {
            error = $"--threads must be 0 (one per core) or more, not {threads}";
            return false;
        }

        var groups = new List<MulticastGroup>();
        foreach (string text in Join is { Count: > 0 } ? Join : file.Join ?? [])
        {
            try
            {
                groups.Add(MulticastGroup.Parse(text));
            }
            catch (FormatException e)
            {
                error = $"--join {text}: {e.Message}";
                return false;
            }
        }

        var candidate = new ProxyOptions
        {
            MulticastGroups = groups,
            Threads = threads == 0 ? Environment.ProcessorCount : threads,
            Listen = listenEndPoints,
            Backends = backendEndPoints,
            DualStack = DualStack ?? file.DualStack ?? true,
            DrainTimeout = TimeSpan.FromSeconds(drain),
            Limits = new FlowLimits
            {
                IdleTimeout = TimeSpan.FromSeconds(idle),
                OneWayIdleTimeout = TimeSpan.FromSeconds(oneWay),
                MaxFlows = MaxFlows ?? file.MaxFlows ?? FlowLimits.DefaultMaxFlows,
                MaxFlowsPerClient = MaxFlowsPerClient ?? file.MaxFlowsPerClient ?? FlowLimits.DefaultMaxFlowsPerClient,
                ClientPrefixLengthV6 = ClientPrefixLengthV6 ?? file.ClientPrefixLengthV6 ?? 128,
            },
        };
        string? problem = candidate.Validate();
        if (problem is not null)
        {
            error = problem;
            return false;
        }

        options = candidate;
        metricsListen = metrics;
        error = "";
        return true;
    }

    private static bool IsSeconds(double seconds) => double.IsFinite(seconds) && seconds >= 0.001 && seconds <= 86_400;
}
