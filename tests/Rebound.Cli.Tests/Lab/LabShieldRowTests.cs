using System.Net;
using Rebound.Cli.Lab;
using Rebound.Cli.Tests.Support;
using Rebound.Shield;
using static Rebound.Lab.FieldReportTopology;

namespace Rebound.Cli.Tests.Lab;

/// <summary>
/// The lab's shield rows (13a-13e), run for real: each unmodified server process is first run in its own cgroup
/// without the shield and must fail like rows 1/2/9a (reply from the bridge, the client's ICMP), then the same row with
/// the shield must answer from the address asked. The control row keeps the bridge address with the shield on.
/// </summary>
public sealed class LabShieldRowTests(LabBenchFixture fixture) : IClassFixture<LabBenchFixture>
{
    [NamespaceFact]
    public void Row13a_naive_on_0_0_0_0_fails_alone_and_works_with_the_shield() => AssertShieldFixes("13a", BridgeV4, HostEth0V4);

    [NamespaceFact]
    public void Row13b_naive_dual_stack_fails_alone_and_works_with_the_shield() => AssertShieldFixes("13b", BridgeV4, HostEth0V4);

    [NamespaceFact]
    public void Row13c_ipv6_naive_fails_alone_and_works_with_the_shield() => AssertShieldFixes("13c", BridgeV6, HostEth0V6);

    [NamespaceFact("python3")]
    public void Row13d_python_server_fails_alone_and_works_with_the_shield() => AssertShieldFixes("13d", BridgeV4, HostEth0V4);

    [NamespaceFact]
    public void Row13e_control_asking_the_bridge_still_gets_the_bridge_with_the_shield_on()
    {
        RowResult row = LabRunner.RunRow(fixture.Bench, Scenario("13e"));

        LabAssert.AnsweredFrom(row, BridgeV4);
        Assert.Contains(row.Observation!.Commands, c => c.StartsWith("rebound shield attach --cgroup ", StringComparison.Ordinal));
    }

    [NamespaceFact]
    public void Shield_rows_leave_no_cgroup_and_no_pin_behind()
    {
        RowResult row = LabRunner.RunRow(fixture.Bench, Scenario("13a"));

        Assert.Equal(Verdict.Works, row.Verdict);
        Assert.Empty(Directory.EnumerateDirectories(Cgroups.UnifiedMount()!, $"rebound-lab-{Environment.ProcessId}-*"));
        Assert.DoesNotContain(CgroupShield.OpenAllPinned(), s => s.CgroupPath?.Contains("rebound-lab-", StringComparison.Ordinal) == true);
    }

    /// <summary>The row's server without the shield is rejected from <paramref name="wrong"/>; with it, answered from <paramref name="asked"/>.</summary>
    private void AssertShieldFixes(string id, IPAddress wrong, IPAddress asked)
    {
        LabScenario shielded = Scenario(id);
        UdpRow setup = LabScenarios.ShieldRow(id);
        LabScenario bare = shielded with
        {
            Expected = Verdict.Fails,
            Run = bench => bench.RunUdp(setup with { Outside = setup.Outside! with { Shielded = false } }),
        };

        RowResult without = LabRunner.RunRow(fixture.Bench, bare);
        LabAssert.RejectedFrom(without, wrong);
        Assert.DoesNotContain(without.Observation!.Commands, c => c.Contains("shield", StringComparison.Ordinal));

        RowResult with = LabRunner.RunRow(fixture.Bench, shielded);
        LabAssert.AnsweredFrom(with, asked);
        Assert.Contains("2 sources set, 0 missed", with.Why, StringComparison.Ordinal);
        Assert.Contains(with.Observation!.Commands, c => c.StartsWith("rebound shield attach --cgroup ", StringComparison.Ordinal));
    }

    private static LabScenario Scenario(string id) => LabScenarios.All.Single(s => s.Id == id);
}
