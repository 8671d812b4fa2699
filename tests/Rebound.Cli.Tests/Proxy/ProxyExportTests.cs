using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rebound.Cli.Tests.Support;

namespace Rebound.Cli.Tests.Proxy;

/// <summary>
/// The daemon side of <c>rebound proxy</c>, as an operator runs it: a real Prometheus scrape of --metrics-listen, a real
/// OTLP/HTTP receiver for OTEL_EXPORTER_OTLP_*, and --log-format json parsed line by line. Loopback only.
/// </summary>
public sealed partial class ProxyExportTests
{
    [Fact]
    public async Task Metrics_listen_serves_prometheus_text_with_semantic_convention_labels_while_proxying()
    {
        using NaiveUdpEcho backend = NaiveUdpEcho.OnAnyAddress();
        int metricsPort = FreeTcpPort();
        using Process proxy = StartProxy(backend, ["--metrics-listen", $"127.0.0.1:{metricsPort}"], new Dictionary<string, string>());
        try
        {
            int front = WaitForFrontPort(proxy);
            using Socket client = UdpClients.Connect(new IPEndPoint(ProxyTestHelpers.Second, front), new IPEndPoint(IPAddress.Loopback, 0));
            Assert.Equal("scraped", UdpClients.Exchange(client, "scraped", ProxyTestHelpers.Answer));

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            using HttpResponseMessage response = await http.GetAsync(new Uri($"http://127.0.0.1:{metricsPort}/metrics"));
            string body = await response.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
            Assert.Equal(1, Sample(body, "rebound_proxy_datagrams_total", "network_io_direction=\"receive\""));
            Assert.Equal(1, Sample(body, "rebound_proxy_datagrams_total", "network_io_direction=\"transmit\""));
            Assert.Equal(7, Sample(body, "rebound_proxy_bytes_total", "network_io_direction=\"transmit\""));
            Assert.Contains($"server_port=\"{front}\"", body, StringComparison.Ordinal);
            Assert.Contains("network_transport=\"udp\"", body, StringComparison.Ordinal);
            Assert.Equal(1, Sample(body, "rebound_proxy_flows_active", ""));
            Assert.Equal(0, Sample(body, "rebound_proxy_drops_total", "error_type=\"unknown_destination\""));
        }
        finally
        {
            Stop(proxy);
        }
    }

    [Fact]
    public void A_metrics_port_in_use_is_a_network_error_before_the_proxy_starts()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;

        (int code, _, string stderr) = CliProcess.Run("", "proxy", "-l", "127.0.0.1:0", "--to", "127.0.0.1:9", "--metrics-listen", $"127.0.0.1:{port}");

        Assert.Equal(3, code);
        Assert.Contains($"cannot serve metrics on 127.0.0.1:{port}", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Proxying", stderr, StringComparison.Ordinal);
        (code, _, stderr) = CliProcess.Run("", "proxy", "-l", "127.0.0.1:0", "--to", "127.0.0.1:9", "--metrics-listen", "127.0.0.1");
        Assert.Equal(2, code);
        Assert.Contains("rebound proxy: --metrics-listen", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Otlp_environment_variables_send_the_proxy_metrics_to_an_otlp_http_receiver()
    {
        int port = FreeTcpPort();
        using var receiver = new HttpListener();
        receiver.Prefixes.Add($"http://127.0.0.1:{port}/");
        receiver.Start();
        using NaiveUdpEcho backend = NaiveUdpEcho.OnAnyAddress();
        using Process proxy = StartProxy(backend, [], new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{port}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "300",
            ["OTEL_SERVICE_NAME"] = "edge-dns",
        });
        try
        {
            int front = WaitForFrontPort(proxy);
            using Socket client = UdpClients.Connect(new IPEndPoint(ProxyTestHelpers.Second, front), new IPEndPoint(IPAddress.Loopback, 0));
            Assert.Equal("pushed", UdpClients.Exchange(client, "pushed", ProxyTestHelpers.Answer));

            // Protobuf carries names and string attribute values as plain UTF-8: look for them in the pushed bodies.
            var deadline = Stopwatch.StartNew();
            string seen = "";
            while (deadline.Elapsed < TimeSpan.FromSeconds(20) && !(seen.Contains("rebound.proxy.datagrams", StringComparison.Ordinal) && seen.Contains("edge-dns", StringComparison.Ordinal)))
            {
                HttpListenerContext context = await receiver.GetContextAsync().WaitAsync(TimeSpan.FromSeconds(20));
                Assert.Equal("/v1/metrics", context.Request.Url!.AbsolutePath);
                Assert.Equal("application/x-protobuf", context.Request.ContentType);
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                seen += Encoding.UTF8.GetString(body.ToArray());
                context.Response.StatusCode = 200;
                context.Response.Close();
            }

            Assert.Contains("rebound.proxy.datagrams", seen, StringComparison.Ordinal);
            Assert.Contains("network.io.direction", seen, StringComparison.Ordinal);
            Assert.Contains("edge-dns", seen, StringComparison.Ordinal);
        }
        finally
        {
            Stop(proxy);
        }
    }

    [Fact]
    public void Log_format_json_writes_one_object_per_line_with_an_iso_utc_timestamp()
    {
        using NaiveUdpEcho backend = NaiveUdpEcho.OnAnyAddress();
        using Process proxy = StartProxy(backend, ["--log-format", "json"], new Dictionary<string, string>());
        string? line = proxy.StandardError.ReadLine();
        Stop(proxy);

        Assert.NotNull(line);
        using JsonDocument entry = JsonDocument.Parse(line);
        JsonElement root = entry.RootElement;
        Assert.Equal("Information", root.GetProperty("LogLevel").GetString());
        Assert.Equal("rebound.proxy", root.GetProperty("Category").GetString());
        Assert.StartsWith("Proxying 0.0.0.0:", root.GetProperty("Message").GetString(), StringComparison.Ordinal);
        Assert.Matches(IsoUtc(), root.GetProperty("Timestamp").GetString());
        Assert.Equal("1", root.GetProperty("State").GetProperty("Threads").ToString());
    }

    [Fact]
    public void Log_format_systemd_prefixes_journald_priorities_and_text_stamps_iso_utc()
    {
        using NaiveUdpEcho backend = NaiveUdpEcho.OnAnyAddress();
        using (Process proxy = StartProxy(backend, ["--log-format", "systemd"], new Dictionary<string, string>()))
        {
            string? line = proxy.StandardError.ReadLine();
            Stop(proxy);
            Assert.StartsWith("<6>rebound.proxy[1] Proxying 0.0.0.0:", line, StringComparison.Ordinal);
        }

        using (Process proxy = StartProxy(backend, [], new Dictionary<string, string>()))
        {
            string? line = proxy.StandardError.ReadLine();
            Stop(proxy);
            Assert.Matches(IsoUtc(), line?.Split(' ')[0]);
            Assert.Contains(" info: rebound.proxy[1] Proxying 0.0.0.0:", line, StringComparison.Ordinal);
        }

        (int code, _, string stderr) = CliProcess.Run("", "proxy", "-l", "127.0.0.1:0", "--to", "127.0.0.1:9", "--log-format", "xml");
        Assert.Equal(2, code);
        Assert.Contains("xml", stderr, StringComparison.Ordinal);
    }

    private static Process StartProxy(NaiveUdpEcho backend, string[] extra, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in (string[])[CliProcess.AssemblyPath, "proxy", "-l", "0.0.0.0:0", "--to", backend.Loopback.ToString(), .. extra])
        {
            start.ArgumentList.Add(a);
        }

        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start the CLI");
    }

    private static int WaitForFrontPort(Process proxy)
    {
        for (string? line = proxy.StandardError.ReadLine(); line is not null; line = proxy.StandardError.ReadLine())
        {
            Match m = FrontPort().Match(line);
            if (m.Success)
            {
                _ = proxy.StandardError.ReadToEndAsync();
                return int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"the proxy exited ({proxy.ExitCode}) before it started");
    }

    private static void Stop(Process proxy)
    {
        if (!proxy.HasExited)
        {
            proxy.Kill(entireProcessTree: true);
        }

        proxy.WaitForExit(10_000);
    }

    /// <summary>The value of the first sample of <paramref name="metric"/> whose labels contain <paramref name="label"/>.</summary>
    private static double Sample(string exposition, string metric, string label)
    {
        foreach (string line in exposition.Split('\n'))
        {
            if (line.StartsWith(metric + "{", StringComparison.Ordinal) && line.Contains(label, StringComparison.Ordinal))
            {
                string value = line[(line.LastIndexOf('}') + 2)..].Split(' ')[0];
                return double.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"no {metric} sample with {label} in:\n{exposition}");
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"Proxying 0\.0\.0\.0:(\d+) ")]
    private static partial Regex FrontPort();

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")]
    private static partial Regex IsoUtc();
}
