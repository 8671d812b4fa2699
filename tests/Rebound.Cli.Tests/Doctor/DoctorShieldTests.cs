using System.Globalization;
using System.Net;
using System.Text.Json;
using Rebound.Cli.Doctor;
using Rebound.Cli.Tests.Output;
using Rebound.Cli.Tests.Shield;
using Rebound.Cli.Tests.Support;
using Rebound.Lab;
using Rebound.Shield;
using Rebound.TestSupport.Shield;

namespace Rebound.Cli.Tests.Doctor;

/// <summary>
/// Doctor and the shield: an unmodified python3 server on 0.0.0.0, in a cgroup and a namespace the test made, is
/// proven AT RISK with the exact attach line; running that line makes the next doctor run find the shield and an OK
/// verdict. A shield that is only in effect (attached, not pinned) is recognised too.
/// </summary>
[Collection(ShieldCliTestGroup.Name)]
public sealed class DoctorShieldTests
{
    private const string Address = "192.0.2.10";

    [NamespaceFact("python3")]
    public void At_risk_listener_gets_the_attach_line_and_running_it_makes_doctor_see_the_shield()
    {
        using NetworkNamespace ns = CreateHost();
        using TestCgroup cgroup = TestCgroup.Create();
        (CgroupProcess server, int port) = PythonServers.StartIn(ns.Name, cgroup.Path, "naive4");
        using (server)
        {
            try
            {
                JsonElement before = Listener(Doctor(ns, port, expectedExit: 1), port);
                Assert.Equal("at-risk", before.GetProperty("verdict").GetString());
                Assert.Equal(JsonValueKind.Null, before.GetProperty("shield").ValueKind);
                string fix = before.GetProperty("fix").GetString()!;
                Assert.Equal($"rebound shield attach --pid {server.Id.ToString(CultureInfo.InvariantCulture)}", fix);

                // The line as printed, run as printed.
                (int code, string output, string error) = CliProcess.Run("", fix.Split(' ')[1..]);
                Assert.True(code == 0, $"`{fix}` exited {code}: {output}{error}");

                JsonElement after = Listener(Doctor(ns, port, expectedExit: 0), port);
                Assert.Equal("ok", after.GetProperty("verdict").GetString());
                Assert.Equal(cgroup.Path, after.GetProperty("shield").GetString());
                Assert.Equal(JsonValueKind.Null, after.GetProperty("fix").ValueKind);

                (_, string table, _) = CliProcess.Run("", "doctor", "--netns", ns.Name, "--port", port.ToString(CultureInfo.InvariantCulture));
                Assert.Contains($"rebound shield is on its cgroup {cgroup.Path}", table, StringComparison.Ordinal);
            }
            finally
            {
                using CgroupShield? pinned = CgroupShield.OpenPinned(cgroup.Path);
                pinned?.Detach();
            }
        }
    }

    [NamespaceFact("python3")]
    public void A_shield_in_effect_but_not_pinned_is_recognised_through_the_cgroups_programs()
    {
        using NetworkNamespace ns = CreateHost();
        using TestCgroup parent = TestCgroup.Create();
        using TestCgroup child = TestCgroup.Create(parent);
        (CgroupProcess server, int port) = PythonServers.StartIn(ns.Name, child.Path, "naive4");
        using (server)
        {
            Assert.Null(ShieldCoverage.OfProcess(server.Id));
            using (CgroupShield.Attach(parent.Path))
            {
                ShieldCover cover = Assert.IsType<ShieldCover>(ShieldCoverage.OfProcess(server.Id));
                Assert.False(cover.Pinned);
                Assert.Equal(child.Path, cover.CgroupPath);
                JsonElement listener = Listener(Doctor(ns, port, expectedExit: 0), port);
                Assert.Equal("ok", listener.GetProperty("verdict").GetString());
                Assert.Equal(child.Path, listener.GetProperty("shield").GetString());
            }

            Assert.Null(ShieldCoverage.OfProcess(server.Id));
        }
    }

    [Theory]
    [InlineData("/sys/fs/cgroup/system.slice/named.service", "--unit named.service")]
    [InlineData("/sys/fs/cgroup/unified/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope", "--container 0123456789ab")]
    [InlineData("/sys/fs/cgroup/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "--container 0123456789ab")]
    [InlineData("/sys/fs/cgroup/user.slice/user-0.slice/session-3.scope", "--pid 4242")]
    [InlineData("/sys/fs/cgroup/system.slice/.service", "--pid 4242")]
    [InlineData(null, "--pid 4242")]
    public void The_fix_names_the_unit_or_container_when_the_cgroup_says_so(string? cgroup, string expected) =>
        Assert.Equal($"rebound shield attach {expected}", ShieldAdvice.FixFor(4242, cgroup));

    [Fact]
    public void Only_an_unshielded_at_risk_listener_gets_a_fix()
    {
        var owner = new SocketOwner(77, "named -f");
        var socket = new InventoryEntry(new UdpSocketEntry(new IPEndPoint(IPAddress.Any, 53), new IPEndPoint(IPAddress.Any, 0), 7, 0, 1, 0), [owner]);
        var target = new LocalAddress(IPAddress.Parse(Address), "eth0");
        ListenerReport Listener(ProbeVerdict verdict) =>
            new(53, "dns", [socket], [new ProbeResult(53, "dns", target, IPAddress.Loopback, verdict, null, "")]);

        Assert.Equal(new ShieldAdvice(null, "rebound shield attach --unit named.service"),
            ShieldAdvice.For(Listener(ProbeVerdict.WrongSource), _ => null, _ => "/sys/fs/cgroup/system.slice/named.service"));
        Assert.Equal(ShieldAdvice.None, ShieldAdvice.For(Listener(ProbeVerdict.Ok), _ => null, _ => "/sys/fs/cgroup/system.slice/named.service"));
        Assert.Equal(new ShieldAdvice("/sys/fs/cgroup/x", null),
            ShieldAdvice.For(Listener(ProbeVerdict.WrongSource), pid => pid == 77 ? new ShieldCover("/sys/fs/cgroup/x", true) : null, _ => null));
    }

    private static NetworkNamespace CreateHost()
    {
        NetworkNamespace ns = NetworkNamespace.Create("dsh");
        try
        {
            ns.Ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth1");
            ns.Ip("link", "set", "eth0", "up");
            ns.Ip("link", "set", "eth1", "up");
            ns.Ip("link", "set", "lo", "up");
            ns.Ip("addr", "add", $"{Address}/24", "dev", "eth0");
            return ns;
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    private static JsonElement Doctor(NetworkNamespace ns, int port, int expectedExit)
    {
        (int exit, string json, string error) = CliProcess.Run("", "doctor", "--netns", ns.Name, "--port", port.ToString(CultureInfo.InvariantCulture), "--json");
        Assert.True(exit == expectedExit, $"doctor exited {exit}, expected {expectedExit}: {json}{error}");
        return JsonSchemaAssert.Valid("doctor", json);
    }

    private static JsonElement Listener(JsonElement report, int port) =>
        report.GetProperty("listeners").EnumerateArray().Single(l => l.GetProperty("port").GetInt32() == port);
}
