using System.Net;
using System.Text.Json;
using Rebound.Cli.Lab;
using Rebound.Cli.Tests.Support;
using Rebound.Lab;

namespace Rebound.Cli.Tests.Doctor;

/// <summary>
/// <c>doctor --from-netns / --from-containers</c> in the lab topology: probes leave the container's namespace from
/// connected sockets, as its client does. A naive host server is WRONG SOURCE at the uplink address (the reply comes
/// from docker0's 192.0.2.1) and OK at docker0's own address; a Rebound server is OK at both.
/// </summary>
public sealed class DoctorFromClientsTests
{
    [NamespaceFact]
    public void From_the_container_namespace_the_naive_server_is_wrong_at_the_uplink_and_rebound_is_ok()
    {
        using var topology = FieldReportTopology.Create();
        using LabServer naive = topology.Host.Run(() => LabServer.Start(ServerKind.Naive, new IPEndPoint(IPAddress.IPv6Any, 0)));
        using LabServer rebound = topology.Host.Run(() => LabServer.Start(ServerKind.Rebound, new IPEndPoint(IPAddress.IPv6Any, 0)));
        int bad = naive.LocalEndPoint.Port, good = rebound.LocalEndPoint.Port;

        foreach (string[] from in (string[][])[["--from-netns", topology.Container.Name], ["--from-containers"]])
        {
            (int exit, string json, string error) = CliProcess.Run("", ["doctor", "--netns", topology.Host.Name, "-p", $"{bad}", "-p", $"{good}", "--json", .. from]);
            Assert.True(exit == 1, $"{string.Join(' ', from)}: exit {exit}: {error}");
            JsonElement report = JsonDocument.Parse(json).RootElement;

            Dictionary<string, JsonElement> naiveProbes = FromContainer(report, bad, topology.Container.Name);
            JsonElement uplink = naiveProbes[FieldReportTopology.HostEth0V4.ToString()];
            Assert.Equal("WRONG SOURCE", uplink.GetProperty("verdict").GetString());
            Assert.Equal($"192.0.2.1:{bad}", uplink.GetProperty("repliedFrom").GetString());
            Assert.Equal(FieldReportTopology.ContainerV4.ToString(), uplink.GetProperty("source").GetString());
            Assert.Equal("OK", naiveProbes["192.0.2.1"].GetProperty("verdict").GetString());

            Dictionary<string, JsonElement> reboundProbes = FromContainer(report, good, topology.Container.Name);
            Assert.Equal("OK", reboundProbes[FieldReportTopology.HostEth0V4.ToString()].GetProperty("verdict").GetString());
            Assert.Equal("OK", reboundProbes["192.0.2.1"].GetProperty("verdict").GetString());
        }
    }

    [NamespaceFact]
    public void Two_client_choices_or_an_unknown_namespace_are_usage_errors()
    {
        (int exit, _, string error) = CliProcess.Run("", "doctor", "--from-netns", "rb-no-such-ns", "-p", "9");
        Assert.Equal(2, exit);
        Assert.Contains("no network namespace named 'rb-no-such-ns'", error, StringComparison.Ordinal);
        (exit, _, error) = CliProcess.Run("", "doctor", "--from-containers", "--from-pid", "1", "-p", "9");
        Assert.Equal(2, exit);
        Assert.Contains("use one of --from-netns, --from-pid and --from-containers", error, StringComparison.Ordinal);
    }

    /// <summary>
    /// The IPv4 probes of <paramref name="port"/> sent from the container (named, so both ways of choosing it name it
    /// "netns NAME"; --from-containers also finds the lan namespace, joined to the host by eth0's veth pair), by server address.
    /// </summary>
    private static Dictionary<string, JsonElement> FromContainer(JsonElement report, int port, string containerNetns)
    {
        JsonElement listener = report.GetProperty("listeners").EnumerateArray().Single(l => l.GetProperty("port").GetInt32() == port);
        JsonElement[] probes = [.. listener.GetProperty("probes").EnumerateArray()
            .Where(p => p.GetProperty("source").GetString() == FieldReportTopology.ContainerV4.ToString())];
        Assert.All(probes, p => Assert.Equal($"netns {containerNetns}", p.GetProperty("client").GetString()));
        return probes.ToDictionary(p => p.GetProperty("address").GetString()!);
    }
}
