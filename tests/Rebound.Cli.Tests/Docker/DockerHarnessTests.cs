using Rebound.TestSupport.Docker;
using Rebound.Lab;

namespace Rebound.Cli.Tests.Docker;

/// <summary>The harness itself: a real daemon in the lab's layout, and nothing left behind once a host is disposed.</summary>
[Collection(DockerSuite.Name)]
public sealed class DockerHarnessTests(DockerFixture docker)
{
    [SkippableFact]
    public void The_daemon_runs_containers_on_docker0_in_the_labs_address_layout()
    {
        DockerHost host = docker.Require();
        DockerContainer client = DockerScenario.StartClient(host, "harness-client");
        try
        {
            Assert.Equal("192.0.2", string.Join('.', client.Address.ToString().Split('.')[..3]));
            string addresses = host.InNamespace("ip", "-4", "-o", "addr").Checked("ip addr");
            Assert.Contains("docker0    inet 192.0.2.1/24", addresses, StringComparison.Ordinal);
            Assert.Contains("eth0    inet 198.51.100.13/24", addresses, StringComparison.Ordinal);
            // The image's programs run: busybox, OpenBSD nc and dig with their libraries.
            Assert.Contains("OpenBSD netcat", host.Exec(client, "nc", "-h").Error, StringComparison.Ordinal);
            Assert.Contains("DiG 9", host.Exec(client, "dig", "-v").Error, StringComparison.Ordinal);
            Assert.True(File.Exists(client.NetworkNamespacePath));
        }
        finally
        {
            host.Remove(client);
        }
    }

    [SkippableFact]
    public void Disposing_a_host_leaves_no_process_namespace_cgroup_mount_or_file()
    {
        docker.Require();
        using var second = DockerHost.Start();
        DockerContainer container = second.RunContainer("leftover-check", ["-p", "5300:7000/udp"], "sleep", "600");
        string socketFolder = second.Socket["unix://".Length..^"/docker.sock".Length];
        string[] cgroups = [.. Directory.EnumerateDirectories("/sys/fs/cgroup").Select(h => Path.Combine(h, second.Namespace)).Where(Directory.Exists)];
        Assert.NotEmpty(cgroups);
        Assert.True(Directory.Exists($"/proc/{container.Pid}"));

        second.Dispose();

        Assert.False(File.Exists($"/run/netns/{second.Namespace}"), "the namespace is still there");
        Assert.False(Directory.Exists(socketFolder), "the temporary folder is still there");
        Assert.All(cgroups, c => Assert.False(Directory.Exists(c), $"{c} is still there"));
        Assert.False(Directory.Exists($"/proc/{container.Pid}"), "the container's process still runs");
        Assert.DoesNotContain(socketFolder, File.ReadAllText("/proc/self/mountinfo"), StringComparison.Ordinal);
        // The watchdog notices within a second that the folder is gone, and exits without doing anything.
        Assert.True(SpinWait.SpinUntil(() => ProcessesMentioning(socketFolder).Count == 0, TimeSpan.FromSeconds(5)),
            string.Join('\n', ProcessesMentioning(socketFolder)));
    }

    [SkippableFact]
    public void The_watchdog_cleans_up_after_a_test_process_that_died_without_disposing()
    {
        docker.Require();
        string name = $"rb{Environment.ProcessId}-dockwd";
        string folder = Path.Combine(Path.GetTempPath(), name);
        Directory.CreateDirectory(Path.Combine(folder, "data"));
        HostCommand.Run("ip", ["netns", "add", name]).Checked("ip netns add");
        string hierarchy = Directory.EnumerateDirectories("/sys/fs/cgroup").FirstOrDefault(h => File.Exists(Path.Combine(h, "cgroup.procs"))) ?? "/sys/fs/cgroup";
        string cgroup = Path.Combine(hierarchy, name, "container");
        Directory.CreateDirectory(cgroup);
        // A process inside the namespace, as dockerd would be, that the watchdog must kill.
        using var inside = System.Diagnostics.Process.Start("ip", ["netns", "exec", name, "sleep", "600"]);
        using var testRun = System.Diagnostics.Process.Start("sleep", "1");

        DockerCleanup.StartWatchdog(name, name, folder, testRun.Id);
        testRun.WaitForExit();

        Assert.True(SpinWait.SpinUntil(() => !Directory.Exists(folder), TimeSpan.FromSeconds(15)), "the folder is still there");
        Assert.True(inside.WaitForExit(5000), "the process in the namespace still runs");
        Assert.False(File.Exists($"/run/netns/{name}"), "the namespace is still there");
        Assert.False(Directory.Exists(Path.GetDirectoryName(cgroup)), "the cgroup is still there");
    }

    private static List<string> ProcessesMentioning(string text) =>
        [.. Directory.EnumerateDirectories("/proc").Where(p => int.TryParse(Path.GetFileName(p), out _))
            .Select(ReadCommandLine).Where(c => c.Contains(text, StringComparison.Ordinal))];

    private static string ReadCommandLine(string procFolder)
    {
        try
        {
            return File.ReadAllText(Path.Combine(procFolder, "cmdline")).Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }
}
