using System.Net;
using System.Text.Json;
using Rebound.Lab;
using Rebound.Cli.Commands;
using Rebound.Proxy;
using Rebound.Cli.Tests.Support;

namespace Rebound.Cli.Tests.Release;

/// <summary>
/// packaging/kubernetes/daemonset.yaml checked offline as far as it goes without a cluster: kubectl's own decoder
/// parses every object (<c>kubectl label --local</c>), and the fields that make the proxy work are the right ones —
/// host network, only NET_BIND_SERVICE, non-root, and a ConfigMap the proxy itself accepts.
/// </summary>
public sealed class DeploymentManifestTests
{
    private static readonly string Manifest = Path.Combine(RepositoryRoot.Path, "packaging", "kubernetes", "daemonset.yaml");

    [ToolFact("kubectl")]
    public void The_daemonset_parses_and_runs_the_proxy_on_the_host_network_with_one_capability()
    {
        ProcessResult parsed = ProcessRunner.Run("kubectl", ["label", "--local", "-f", Manifest, "checked=offline", "-o", "json"], TimeSpan.FromMinutes(1));
        Assert.True(parsed.Succeeded, parsed.StandardError);
        List<JsonElement> objects = Objects(parsed.StandardOutput);
        Assert.Equal(["Namespace", "ConfigMap", "DaemonSet"], objects.Select(o => o.GetProperty("kind").GetString()));

        JsonElement daemonSet = objects.Single(o => o.GetProperty("kind").GetString() == "DaemonSet");
        Assert.Equal("apps/v1", daemonSet.GetProperty("apiVersion").GetString());
        JsonElement spec = daemonSet.GetProperty("spec");
        JsonElement selector = spec.GetProperty("selector").GetProperty("matchLabels");
        JsonElement labels = spec.GetProperty("template").GetProperty("metadata").GetProperty("labels");
        foreach (JsonProperty label in selector.EnumerateObject())
        {
            Assert.Equal(label.Value.GetString(), labels.GetProperty(label.Name).GetString());
        }

        JsonElement pod = spec.GetProperty("template").GetProperty("spec");
        Assert.True(pod.GetProperty("hostNetwork").GetBoolean());
        Assert.Equal("ClusterFirstWithHostNet", pod.GetProperty("dnsPolicy").GetString());
        JsonElement proxy = pod.GetProperty("containers").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "proxy");
        Assert.Equal(["proxy", "--config", "/etc/rebound/proxy.json", "--log-format", "json"], proxy.GetProperty("args").EnumerateArray().Select(a => a.GetString()));
        JsonElement security = proxy.GetProperty("securityContext");
        Assert.Equal(["ALL"], security.GetProperty("capabilities").GetProperty("drop").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(["NET_BIND_SERVICE"], security.GetProperty("capabilities").GetProperty("add").EnumerateArray().Select(a => a.GetString()));
        Assert.True(security.GetProperty("runAsNonRoot").GetBoolean());
        Assert.False(security.GetProperty("allowPrivilegeEscalation").GetBoolean());

        // The ConfigMap is a settings file the proxy accepts, and its metrics port is the one probed and annotated.
        JsonElement configMap = objects.Single(o => o.GetProperty("kind").GetString() == "ConfigMap");
        string settings = Path.Combine(Directory.CreateTempSubdirectory("rebound-k8s-").FullName, "proxy.json");
        File.WriteAllText(settings, configMap.GetProperty("data").GetProperty("proxy.json").GetString());
        var request = new ProxyRequest([], [], new FileInfo(settings), null, null, null, null, null);
        Assert.True(request.TryBuild(out ProxyOptions? options, out IPEndPoint? metrics, out string error), error);
        Directory.Delete(Path.GetDirectoryName(settings)!, recursive: true);
        Assert.NotNull(options);
        int metricsPort = metrics!.Port;
        Assert.Equal(IPAddress.Any, metrics.Address);
        Assert.Equal(metricsPort, proxy.GetProperty("ports").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "metrics").GetProperty("containerPort").GetInt32());
        Assert.Equal(metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            spec.GetProperty("template").GetProperty("metadata").GetProperty("annotations").GetProperty("prometheus.io/port").GetString());
        Assert.Equal(MetricsExport.ScrapePath, proxy.GetProperty("livenessProbe").GetProperty("httpGet").GetProperty("path").GetString());
        string mount = proxy.GetProperty("volumeMounts").EnumerateArray().Single().GetProperty("mountPath").GetString()!;
        Assert.Equal("/etc/rebound", mount);
    }

    /// <summary>kubectl prints one JSON object per manifest object, one after another.</summary>
    private static List<JsonElement> Objects(string json)
    {
        var objects = new List<JsonElement>();
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(json), new JsonReaderOptions { AllowMultipleValues = true });
        while (JsonDocument.TryParseValue(ref reader, out JsonDocument? document))
        {
            objects.Add(document.RootElement.Clone());
            document.Dispose();
            if (!reader.Read())
            {
                break;
            }
        }

        return objects;
    }
}
