using System.Globalization;

namespace Rebound.Shield.Tests.Support;

/// <summary>A cgroup v2 directory this test made (rebound-test-PID-N under the unified mount), removed on dispose.</summary>
public sealed class TestCgroup : IDisposable
{
    private static int s_counter;

    private TestCgroup(string path) => Path = path;

    public string Path { get; }

    public static TestCgroup Create(TestCgroup? parent = null)
    {
        string root = parent?.Path ?? Cgroups.UnifiedMount() ?? throw new InvalidOperationException("no cgroup2 mount");
        int n = Interlocked.Increment(ref s_counter);
        string path = System.IO.Path.Join(root, string.Create(CultureInfo.InvariantCulture, $"rebound-test-{Environment.ProcessId}-{n}"));
        Directory.CreateDirectory(path);
        return new TestCgroup(path);
    }

    /// <summary>A shell prefix that moves the shell into this cgroup before it execs the rest, so sockets are born inside.</summary>
    public string EnterCommand => $"echo $$ > {Path}/cgroup.procs && exec";

    public void Dispose()
    {
        // Processes must be gone before rmdir; move stragglers to the parent and retry briefly.
        for (int attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                foreach (string child in Directory.EnumerateDirectories(Path))
                {
                    Directory.Delete(child);
                }

                Directory.Delete(Path);
                return;
            }
            catch (IOException) when (attempt < 49)
            {
                Thread.Sleep(100);
            }
            catch (DirectoryNotFoundException)
            {
                return;
            }
        }
    }
}
