using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Rebound.Cli.Infrastructure;

namespace Rebound.Cli.Commands;

/// <summary>
/// The JSON form of the proxy's settings (<c>rebound proxy --config FILE</c>). Every member is optional; command-line
/// options override the file. Unknown members are an error, so a misspelt limit is not silently ignored.
/// </summary>
internal sealed class ProxyConfigFile
{
    public List<string>? Listen { get; set; }

    public List<string>? Backends { get; set; }

    public double? IdleTimeoutSeconds { get; set; }

    public double? OneWayIdleTimeoutSeconds { get; set; }

    public int? MaxFlows { get; set; }

    public int? MaxFlowsPerClient { get; set; }

    /// <summary>IPv6 prefix length that counts as one client for the per-client limit (<c>--client-prefix-v6</c>).</summary>
    public int? ClientPrefixLengthV6 { get; set; }

    /// <summary>Multicast groups the fronts join, GROUP or GROUP%INTERFACE (<c>--join</c>).</summary>
    public List<string>? Join { get; set; }

    public bool? DualStack { get; set; }

    public double? DrainTimeoutSeconds { get; set; }

    public int? Threads { get; set; }

    /// <summary>ADDR:PORT to serve Prometheus metrics on (<c>--metrics-listen</c>).</summary>
    public string? MetricsListen { get; set; }

    /// <summary>Reads and parses <paramref name="path"/>; on failure returns null and says why in <paramref name="error"/>.</summary>
    public static ProxyConfigFile? Load(string path, out string error)
    {
        error = "";
        try
        {
            using FileStream stream = File.OpenRead(path);
            ProxyConfigFile? file = JsonSerializer.Deserialize(stream, ProxyConfigJsonContext.Default.ProxyConfigFile);
            if (file is null)
            {
                error = $"{path}: the file holds null, not a settings object";
            }

            return file;
        }
        catch (JsonException e)
        {
            error = $"{path}: not valid proxy settings: {e.Message}";
        }
        catch (IOException e)
        {
            error = $"{path}: {e.Message}";
        }
        catch (UnauthorizedAccessException e)
        {
            error = $"{path}: {e.Message}";
        }

        return null;
    }

    /// <summary>Parses a list of ADDR:PORT strings; false with a message naming <paramref name="what"/> on the first bad one.</summary>
    public static bool TryParseEndpoints(IEnumerable<string> texts, IPAddress wildcard, string what, out List<IPEndPoint> endPoints, out string error)
    {
        endPoints = [];
        error = "";
        foreach (string text in texts)
        {
            if (!EndpointParser.TryParse(text, wildcard, out IPEndPoint endPoint, out string why))
            {
                error = $"{what}: {why}";
                return false;
            }

            endPoints.Add(endPoint);
        }

        return true;
    }
}

/// <summary>Source-generated JSON metadata for <see cref="ProxyConfigFile"/>, so parsing needs no reflection (trim- and AOT-safe).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(ProxyConfigFile))]
internal sealed partial class ProxyConfigJsonContext : JsonSerializerContext;
