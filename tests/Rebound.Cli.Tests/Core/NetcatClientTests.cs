using System.Net;
using Rebound.Cli.Lab;
using Rebound.Cli.Tests.Support;
using Rebound.Lab;

namespace Rebound.Cli.Tests.Core;

/// <summary>The report's own client, OpenBSD <c>nc -u</c>, run in the container against both servers.</summary>
public sealed class NetcatClientTests
{
    [NamespaceFact("nc")]
    public void Netcat_in_the_container_prints_both_replies_from_rebound_and_none_from_the_naive_server()
    {
        using var topology = FieldReportTopology.Create();
        using LabServer naive = topology.Host.Run(() => LabServer.Start(ServerKind.Naive, new IPEndPoint(IPAddress.IPv6Any, 0)));
        using LabServer rebound = topology.Host.Run(() => LabServer.Start(ServerKind.Rebound, new IPEndPoint(IPAddress.IPv6Any, 0)));

        string fromRebound = RunNetcat(topology, rebound.LocalEndPoint.Port);
        string fromNaive = RunNetcat(topology, naive.LocalEndPoint.Port);

        Assert.Equal("hello\nhi\n", fromRebound);
        Assert.Equal("", fromNaive);
    }

    private static string RunNetcat(FieldReportTopology topology, int port)
    {
        // The two lines go out as two datagrams a moment apart (as typed in the report); -q1 quits 1 s after input ends.
        var result = topology.Container.Exec(
            "sh",
            ["-c", $"(echo hello; sleep 0.3; echo hi; sleep 0.5) | nc -u -q1 {FieldReportTopology.HostEth0V4} {port}"],
            TimeSpan.FromSeconds(10));
        return result.StandardOutput;
    }
}
