using System.Net;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Rebound.Proxy;

namespace Rebound.Cli.Commands;

/// <summary>
/// Exports the proxy's meters (<c>Rebound.Proxy</c> and the library's <c>Rebound</c>) with OpenTelemetry: Prometheus
/// text over HTTP on <c>--metrics-listen</c>, and OTLP when an <c>OTEL_EXPORTER_OTLP_*ENDPOINT</c> variable is set (the
/// exporter reads the other OTEL_EXPORTER_OTLP_* variables, OTEL_METRIC_EXPORT_INTERVAL and OTEL_SERVICE_NAME itself).
/// Both read the same observable instruments the forwarding path already keeps, so exporting adds nothing per datagram.
/// </summary>
internal static partial class MetricsExport
{
    /// <summary>The HTTP path Prometheus scrapes.</summary>
    public const string ScrapePath = "/metrics";

    /// <summary>Whether the environment asks for OTLP export.</summary>
    public static bool OtlpRequested =>
        !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")) ||
        !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"));

    /// <summary>
    /// Starts the exporters that were asked for; null when none was. Throws <see cref="InvalidOperationException"/>
    /// wrapping an <see cref="HttpListenerException"/> when the Prometheus address cannot be listened on.
    /// </summary>
    public static MeterProvider? Start(IPEndPoint? prometheus)
    {
        bool otlp = OtlpRequested;
        if (prometheus is null && !otlp)
        {
            return null;
        }

        MeterProviderBuilder builder = Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(resource =>
            {
                // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES still win: they are read after this default.
                resource.AddService("rebound-proxy", serviceVersion: typeof(MetricsExport).Assembly.GetName().Version?.ToString(3));
                resource.AddEnvironmentVariableDetector();
            })
            .AddMeter(UdpProxy.MeterName, ReboundMetrics.MeterName);
        if (prometheus is not null)
        {
            string prefix = Prefix(prometheus);
            builder.AddPrometheusHttpListener(o =>
            {
                o.Port = prometheus.Port;
                o.ScrapeEndpointPath = ScrapePath;
                o.ConfigureHttpListener = (_, listener) =>
                {
                    // Our prefix only: the default one (localhost) would also be bound.
                    listener.Prefixes.Clear();
                    listener.Prefixes.Add(prefix);
                };
            });
        }

        if (otlp)
        {
            builder.AddOtlpExporter();
        }

        return builder.Build();
    }

    /// <summary>The scrape URL as people write it, e.g. <c>http://127.0.0.1:9464/metrics</c>.</summary>
    public static string Url(IPEndPoint endPoint) => $"http://{endPoint}{ScrapePath}";

    /// <summary>
    /// The HttpListener prefix for an address: a wildcard becomes <c>+</c> (any Host header, all IPv4 addresses), a
    /// specific address is served on that address only.
    /// </summary>
    public static string Prefix(IPEndPoint endPoint)
    {
        string host = endPoint.Address.Equals(IPAddress.Any) || endPoint.Address.Equals(IPAddress.IPv6Any) ? "+"
            : endPoint.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{endPoint.Address}]"
            : endPoint.Address.ToString();
        return $"http://{host}:{endPoint.Port}{ScrapePath}/";
    }

    /// <summary>Logged once at start (event 7 of the <c>rebound.proxy</c> category, after the proxy's own 1–6).</summary>
    [LoggerMessage(7, LogLevel.Information, "Serving metrics on {Url} (Prometheus text).")]
    public static partial void LogServing(ILogger logger, string url);
}
