using System.Globalization;
using Rebound.Cli.Tests.Support;
using Rebound.Lab;
using Rebound.TestSupport;
using Rebound.Shield;
using Rebound.TestSupport.Shield;

namespace Rebound.Cli.Tests.Shield;

/// <summary>
/// The field report's topology plus a cgroup this test made, with unmodified Python servers started inside both the
/// host namespace and the cgroup, and the real CLI to attach and detach the shield. Disposing kills the servers,
/// detaches whatever is still pinned on the cgroup and deletes cgroup and namespaces.
/// </summary>
internal sealed class ShieldSetup : IDisposable
{
    private readonly List<IDisposable> _servers = [];

    public ShieldSetup()
    {
        Topology = FieldReportTopology.Create();
        Cgroup = TestCgroup.Create();
    }

    public FieldReportTopology Topology { get; }

    public TestCgroup Cgroup { get; }

    /// <summary>Starts a Python server of <paramref name="kind"/> (naive4, naive6, dns) on the host, in the cgroup.</summary>
    public int StartServer(string kind)
    {
        var (process, port) = PythonServers.StartIn(Topology.Host.Name, Cgroup.Path, kind);
        _servers.Add(process);
        return port;
    }

    public static (int ExitCode, string Output, string Error) Cli(params string[] arguments) => CliProcess.Run("", arguments);

    public void Attach()
    {
        var (code, output, error) = Cli("shield", "attach", "--cgroup", Cgroup.Path);
        Assert.True(code == 0, $"shield attach exited {code}: {output}{error}");
    }

    public void Detach()
    {
        var (code, output, error) = Cli("shield", "detach", "--cgroup", Cgroup.Path);
        Assert.True(code == 0, $"shield detach exited {code}: {output}{error}");
        Assert.False(Directory.Exists(CgroupShield.PinDirectoryOf(Cgroups.Id(Cgroup.Path))));
    }

    /// <summary>OpenBSD <c>nc -u</c> in the container, two lines a moment apart, as typed in the report; returns what it printed.</summary>
    public string Netcat(string asked, int port) => Topology.Container.Exec(
        "sh",
        ["-c", $"(echo hello; sleep 0.3; echo hi; sleep 0.5) | nc -u -q1 {asked} {port.ToString(CultureInfo.InvariantCulture)}"],
        TimeSpan.FromSeconds(10)).StandardOutput;

    public void Dispose()
    {
        _servers.ForEach(s => s.Dispose());
        try
        {
            using var pinned = CgroupShield.OpenPinned(Cgroup.Path);
            pinned?.Detach();
        }
        finally
        {
            Cgroup.Dispose();
            Topology.Dispose();
        }
    }
}
