using Rebound.Cli.Tests.Output;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Rebound.Cli.Tests.Support;
using Rebound.Lab;
using Rebound.TestSupport;
using Rebound.Shield;
using Rebound.TestSupport.Shield;

namespace Rebound.Cli.Tests.Shield;

/// <summary>
/// <c>rebound shield</c> end to end in the field report's topology: unmodified Python servers on the host, in a cgroup
/// the test made, asked by real clients in the container (nc, socat, dig). Each client first gets nothing from the
/// naive server, then its reply once the CLI attached the shield, then nothing again once it is detached.
/// </summary>
[Collection(ShieldCliTestGroup.Name)]
public sealed class ShieldFieldReportTests
{
    private static readonly string Eth0V4 = FieldReportTopology.HostEth0V4.ToString();
    private static readonly string Eth0V6 = FieldReportTopology.HostEth0V6.ToString();

    [NamespaceFact("nc", "python3")]
    public void Nc_gets_its_replies_from_a_naive_server_only_while_the_shield_is_attached()
    {
        using var setup = new ShieldSetup();
        var cases = new[] { ("naive4", Eth0V4), ("naive6", Eth0V4), ("naive6", Eth0V6) };
        foreach ((string kind, string asked) in cases)
        {
            int port = setup.StartServer(kind);
            string label = $"{kind} server, nc asks {asked}";

            Assert.True(setup.Netcat(asked, port) == "", $"{label}: the naive server's reply should be dropped without the shield");
            setup.Attach();
            Assert.True(setup.Netcat(asked, port) == "hello\nhi\n", $"{label}: both replies expected with the shield");
            setup.Detach();
            Assert.True(setup.Netcat(asked, port) == "", $"{label}: detached, the reply is dropped again");
        }
    }

    [NamespaceFact("nc", "python3")]
    public void The_bridge_address_control_still_answers_from_the_bridge_with_the_shield_on()
    {
        using var setup = new ShieldSetup();
        int port = setup.StartServer("naive6");
        setup.Attach();

        Assert.Equal("hello\nhi\n", setup.Netcat(FieldReportTopology.BridgeV4.ToString(), port));
        Assert.Equal("hello\nhi\n", setup.Netcat(FieldReportTopology.BridgeV6.ToString(), port));
        Assert.Equal("hello\nhi\n", setup.Netcat(Eth0V4, port));

        var status = Status();
        var mine = status.Single(s => s.GetProperty("cgroup").GetString() == setup.Cgroup.Path);
        Assert.Equal(6, mine.GetProperty("counters").GetProperty("sourceSet").GetInt64());
        Assert.Equal(0, mine.GetProperty("counters").GetProperty("missed").GetInt64());
        Assert.Equal(3, mine.GetProperty("entries").GetInt32());
    }

    [NamespaceFact("socat", "dig", "python3")]
    public void Socat_and_dig_get_answers_from_a_program_that_is_not_ours_only_with_the_shield()
    {
        using var setup = new ShieldSetup();
        int echo = setup.StartServer("naive6");
        int dns = setup.StartServer("dns");

        Assert.DoesNotContain("hello", Socat(setup, $"UDP4:{Eth0V4}:{echo}"), StringComparison.Ordinal);
        Assert.DoesNotContain("NOERROR", Dig(setup, Eth0V4, dns), StringComparison.Ordinal);

        setup.Attach();
        Assert.Contains("hello", Socat(setup, $"UDP4:{Eth0V4}:{echo}"), StringComparison.Ordinal);
        Assert.Contains("hello", Socat(setup, $"UDP6:[{Eth0V6}]:{echo}"), StringComparison.Ordinal);
        Assert.Contains("status: NOERROR", Dig(setup, Eth0V4, dns), StringComparison.Ordinal);
        Assert.Contains("status: NOERROR", Dig(setup, Eth0V6, dns), StringComparison.Ordinal);
    }

    [NamespaceFact("nc", "python3")]
    public void A_foreground_shield_lives_as_long_as_its_process_sigterm_detaches_and_sigkill_leaves_nothing()
    {
        using var setup = new ShieldSetup();
        int port = setup.StartServer("naive4");

        foreach (bool kill in new[] { false, true })
        {
            using Process foreground = CliProcess.Start("shield", "attach", "--cgroup", setup.Cgroup.Path, "--foreground");
            Assert.StartsWith("Shield attached", foreground.StandardOutput.ReadLine() ?? "", StringComparison.Ordinal);
            Assert.Equal("hello\nhi\n", setup.Netcat(Eth0V4, port));
            Assert.False(Directory.Exists(CgroupShield.PinDirectoryOf(Cgroups.Id(setup.Cgroup.Path))), "--foreground pins nothing");

            if (kill)
            {
                foreground.Kill();
            }
            else
            {
                Assert.Equal(0, Syscall.Kill(foreground.Id, 15));
            }

            Assert.True(foreground.WaitForExit(20_000), "the foreground shield should stop");
            if (!kill)
            {
                Assert.Equal(0, foreground.ExitCode);
                Assert.Contains("Shield detached", foreground.StandardOutput.ReadToEnd(), StringComparison.Ordinal);
            }

            Assert.Equal("", setup.Netcat(Eth0V4, port));        // gone with the process, even after SIGKILL
            var (code, output, _) = ShieldSetup.Cli("shield", "detach", "--cgroup", setup.Cgroup.Path);
            Assert.Equal(0, code);
            Assert.Contains("nothing to detach", output, StringComparison.Ordinal);
        }
    }

    [NamespaceFact("nc", "python3")]
    public void Attaching_twice_is_a_no_op_and_detach_all_leaves_nothing_behind()
    {
        using var setup = new ShieldSetup();
        using var second = TestCgroup.Create();
        int port = setup.StartServer("naive4");

        setup.Attach();
        var (code, output, _) = ShieldSetup.Cli("shield", "attach", "--cgroup", setup.Cgroup.Path);
        Assert.Equal(0, code);
        Assert.Contains("already shielded", output, StringComparison.Ordinal);
        Assert.Equal(0, ShieldSetup.Cli("shield", "attach", "--cgroup", second.Path).ExitCode);

        var cgroups = Status().Select(s => s.GetProperty("cgroup").GetString()).ToList();
        Assert.Contains(setup.Cgroup.Path, cgroups);
        Assert.Contains(second.Path, cgroups);
        Assert.Equal("hello\nhi\n", setup.Netcat(Eth0V4, port));

        (code, output, _) = ShieldSetup.Cli("shield", "detach", "--all");
        Assert.Equal(0, code);
        Assert.Contains("Detached", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(CgroupShield.PinRoot) && Directory.EnumerateFileSystemEntries(CgroupShield.PinRoot).Any());
        Assert.Empty(Status());
        Assert.Equal("", setup.Netcat(Eth0V4, port));
    }

    [NamespaceFact]
    public void Bad_targets_are_usage_errors_that_say_what_is_wrong()
    {
        var (code, _, error) = CliProcess.Run("", "shield", "attach");
        Assert.Equal(2, code);
        Assert.Contains("exactly one target", error, StringComparison.Ordinal);

        (code, _, error) = CliProcess.Run("", "shield", "attach", "--cgroup", "/tmp");
        Assert.Equal(2, code);
        Assert.Contains("not a cgroup v2 directory", error, StringComparison.Ordinal);

        (code, _, error) = CliProcess.Run("", "shield", "attach", "--pid", "999999999");
        Assert.Equal(2, code);
        Assert.Contains("no process", error, StringComparison.Ordinal);
    }

    [RootFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Without_root_it_exits_4_naming_the_privilege()
    {
        var result = UnprivilegedCli.Run("shield", "status");
        Assert.Equal(4, result.ExitCode);
        Assert.Contains("needs root", result.StandardError, StringComparison.Ordinal);
    }

    private static List<JsonElement> Status()
    {
        var (code, output, error) = ShieldSetup.Cli("shield", "status", "--json");
        Assert.True(code == 0, error);
        JsonElement document = JsonSchemaAssert.Valid("shield", output);
        return document.GetProperty("shields").EnumerateArray().Select(e => e.Clone()).ToList();
    }

    private static string Socat(ShieldSetup setup, string address) =>
        setup.Topology.Container.Exec("socat", ["-t1", "-", address], TimeSpan.FromSeconds(10), standardInput: "hello\n").StandardOutput;

    private static string Dig(ShieldSetup setup, string server, int port) =>
        setup.Topology.Container.Exec("dig", ["+time=1", "+tries=1", "-p", port.ToString(CultureInfo.InvariantCulture), $"@{server}", "shield.test"], TimeSpan.FromSeconds(10)).StandardOutput;
}

/// <summary>Shield CLI tests run one at a time: they share /sys/fs/bpf/rebound, and one of them detaches every shield.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ShieldCliTestGroup
{
    public const string Name = "shield-cli";
}

internal static partial class Syscall
{
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill")]
    public static partial int Kill(int pid, int signal);
}
