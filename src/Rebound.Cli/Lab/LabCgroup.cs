using System.Globalization;
using System.Runtime.InteropServices;
using Rebound.Shield;

namespace Rebound.Cli.Lab;

/// <summary>
/// A cgroup v2 the lab makes for one shield row (<c>rebound-lab-PID-N</c> under the unified mount), so the shield is
/// attached only to processes the lab started. Removed on dispose, on Ctrl-C/SIGTERM/exit, and, after a SIGKILL, by
/// <c>rebound lab --cleanup</c> (<see cref="RemoveLeftovers"/>): its processes are killed first.
/// </summary>
internal sealed class LabCgroup : IDisposable
{
    private const string Prefix = "rebound-lab-";
    private static readonly Lock Gate = new();
    private static readonly HashSet<LabCgroup> Live = [];
    private static readonly List<PosixSignalRegistration> Registrations = [];
    private static int s_counter;
    private bool _removed;

    private LabCgroup(string path) => Path = path;

    /// <summary>The cgroup's directory.</summary>
    public string Path { get; }

    /// <summary>Makes a fresh cgroup under the unified mount.</summary>
    /// <exception cref="InvalidOperationException">No cgroup v2 is mounted.</exception>
    public static LabCgroup Create()
    {
        string mount = Cgroups.UnifiedMount() ?? throw new InvalidOperationException("no cgroup v2 file system is mounted");
        int n = Interlocked.Increment(ref s_counter);
        string path = System.IO.Path.Join(mount, string.Create(CultureInfo.InvariantCulture, $"{Prefix}{Environment.ProcessId}-{n}"));
        Directory.CreateDirectory(path);
        var cgroup = new LabCgroup(path);
        Track(cgroup);
        return cgroup;
    }

    /// <summary>Removes lab cgroups whose creating process is gone (killed lab runs); returns their names.</summary>
    public static IReadOnlyList<string> RemoveLeftovers()
    {
        var removed = new List<string>();
        if (Cgroups.UnifiedMount() is not string mount)
        {
            return removed;
        }

        foreach (string path in Directory.EnumerateDirectories(mount, Prefix + "*"))
        {
            string name = System.IO.Path.GetFileName(path);
            string[] parts = name[Prefix.Length..].Split('-');
            if (parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out int pid) && !Directory.Exists($"/proc/{parts[0]}") && pid > 0)
            {
                Remove(path);
                removed.Add(name);
            }
        }

        return removed;
    }

    /// <summary>Kills whatever still runs in the cgroup and removes it.</summary>
    public void Dispose()
    {
        lock (Gate)
        {
            if (_removed)
            {
                return;
            }

            _removed = true;
            Live.Remove(this);
        }

        Remove(Path);
    }

    private static void Track(LabCgroup cgroup)
    {
        lock (Gate)
        {
            if (Live.Count == 0 && Registrations.Count == 0)
            {
                AppDomain.CurrentDomain.ProcessExit += (_, _) => RemoveAll();
                foreach (PosixSignal signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP })
                {
                    Registrations.Add(PosixSignalRegistration.Create(signal, context =>
                    {
                        RemoveAll();
                        context.Cancel = false;
                    }));
                }
            }

            Live.Add(cgroup);
        }
    }

    private static void RemoveAll()
    {
        LabCgroup[] all;
        lock (Gate)
        {
            all = [.. Live];
        }

        foreach (LabCgroup cgroup in all)
        {
            cgroup.Dispose();
        }
    }

    private static void Remove(string path)
    {
        // rmdir fails while a process is inside: kill them (cgroup.kill since 5.14, else one by one) and retry briefly.
        for (int attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                KillMembers(path);
                Directory.Delete(path);
                return;
            }
            catch (DirectoryNotFoundException)
            {
                return;
            }
            catch (IOException) when (attempt < 49)
            {
                Thread.Sleep(20);
            }
            catch (IOException)
            {
                // Still busy after a second: leave it to `rebound lab --cleanup` rather than fail the row.
            }
        }
    }

    private static void KillMembers(string path)
    {
        string kill = System.IO.Path.Join(path, "cgroup.kill");
        if (File.Exists(kill))
        {
            File.WriteAllText(kill, "1");
            return;
        }

        foreach (string line in File.ReadLines(System.IO.Path.Join(path, "cgroup.procs")))
        {
            if (int.TryParse(line, CultureInfo.InvariantCulture, out int pid))
            {
                try
                {
                    using var process = System.Diagnostics.Process.GetProcessById(pid);
                    process.Kill();
                }
                catch (ArgumentException)
                {
                    // Already gone.
                }
            }
        }
    }
}
