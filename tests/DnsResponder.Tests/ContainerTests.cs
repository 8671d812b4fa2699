using DnsResponder.Tests.Support;
using Rebound.Lab;
using Rebound.TestSupport;

namespace DnsResponder.Tests;

/// <summary>
/// The field report's setup with real clients: the responder on the Docker host's wildcard address, clients in the
/// container asking eth0's address (198.51.100.13 / 2001:db8:100::13). Rebound's replies arrive; the naive responder,
/// in the same setup, answers from docker0's address and the client never sees it.
/// </summary>
public sealed class ContainerTests
{
    private static readonly string[] DigDefaults = ["+tries=1", "+time=2"];

    [NamespaceFact("dig")]
    public void Dig_in_the_container_gets_answers_from_the_single_socket_loop() => DigGetsAnswers(ServeMode.SingleSocket);

    [NamespaceFact("dig")]
    public void Dig_in_the_container_gets_answers_from_the_batched_server() => DigGetsAnswers(ServeMode.Batched);

    private static void DigGetsAnswers(ServeMode mode)
    {
        using FieldReportTopology topology = FieldReportTopology.Create();
        using RunningResponder responder = RunningResponder.Start(topology.Host, mode);

        ProcessResult a = Dig(topology, "@198.51.100.13", "+short", "www.example.test");
        ProcessResult aaaa = Dig(topology, "@2001:db8:100::13", "+short", "AAAA", "WWW.example.TEST");
        ProcessResult missing = Dig(topology, "@198.51.100.13", "nope.example.test");

        Assert.Equal((0, "192.0.2.10"), (a.ExitCode, a.StandardOutput.Trim()));
        Assert.Equal((0, "2001:db8::10"), (aaaa.ExitCode, aaaa.StandardOutput.Trim()));
        Assert.Contains("status: NXDOMAIN", missing.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("flags: qr aa rd", missing.StandardOutput, StringComparison.Ordinal);
    }

    [NamespaceFact("dig")]
    public void Dig_times_out_against_the_naive_responder_in_the_same_setup()
    {
        using FieldReportTopology topology = FieldReportTopology.Create();
        using RunningResponder responder = RunningResponder.Start(topology.Host, ServeMode.Naive);

        ProcessResult v4 = Dig(topology, "@198.51.100.13", "+short", "www.example.test");
        ProcessResult v6 = Dig(topology, "@2001:db8:100::13", "+short", "AAAA", "www.example.test");

        Assert.Equal(9, v4.ExitCode); // dig: no reply from server
        Assert.Contains("timed out", v4.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(9, v6.ExitCode);
        Assert.True(responder.Answered >= 2, "the naive responder did send its replies; they left from the wrong address");
    }

    [NamespaceFact("getent")]
    public void Glibc_resolver_in_the_container_resolves_through_it_and_not_through_the_naive_one()
    {
        using FieldReportTopology topology = FieldReportTopology.Create();
        using var resolvConf = new NamespaceResolvConf(topology.Container.Name, "nameserver 198.51.100.13\noptions timeout:1 attempts:1\n");

        ProcessResult answered, lost;
        using (RunningResponder.Start(topology.Host, ServeMode.SingleSocket))
        {
            answered = topology.Container.Exec("getent", ["ahosts", "www.example.test"], TimeSpan.FromSeconds(20));
        }

        using (RunningResponder.Start(topology.Host, ServeMode.Naive))
        {
            lost = topology.Container.Exec("getent", ["hosts", "www.example.test"], TimeSpan.FromSeconds(20));
        }

        Assert.Equal(0, answered.ExitCode);
        Assert.Contains("192.0.2.10", answered.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("2001:db8::10", answered.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(2, lost.ExitCode); // getent: key not found
    }

    [NamespaceFact("dnsperf")]
    public void Dnsperf_from_the_container_gets_every_query_answered_by_the_batched_server()
    {
        using FieldReportTopology topology = FieldReportTopology.Create();
        using RunningResponder responder = RunningResponder.Start(topology.Host, ServeMode.Batched);
        string queries = Path.GetTempFileName();
        try
        {
            File.WriteAllText(queries, "www.example.test A\nwww.example.test AAAA\nmail.example.test A\nnope.example.test A\nwww.example.org A\n");
            ProcessResult run = topology.Container.Exec(
                "dnsperf", ["-s", "198.51.100.13", "-d", queries, "-l", "2", "-Q", "5000", "-c", "2", "-t", "2"], TimeSpan.FromSeconds(30));

            Assert.Equal(0, run.ExitCode);
            Assert.Matches(@"Queries completed:\s+[1-9]\d* \(100\.00%\)", run.StandardOutput);
            Assert.Matches(@"Queries lost:\s+0 \(", run.StandardOutput);
            Assert.Matches(@"NOERROR \d+.*NXDOMAIN \d+.*REFUSED \d+", run.StandardOutput);
        }
        finally
        {
            File.Delete(queries);
        }
    }

    private static ProcessResult Dig(FieldReportTopology topology, params string[] arguments) =>
        topology.Container.Exec("dig", [.. DigDefaults, .. arguments], TimeSpan.FromSeconds(15));
}
