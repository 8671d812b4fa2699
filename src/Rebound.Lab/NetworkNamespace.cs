using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Rebound.Interop;

namespace Rebound.Lab;

/// <summary>
/// A named network namespace (<c>ip netns add</c>) that this process created and will delete. Code can run inside it
/// on the current thread (<see cref="Run{T}"/>): sockets created there belong to the namespace for good, so one
/// process can hold a server in one namespace and a client in another. Programs run in it with
/// <see cref="Exec"/> (<c>ip netns exec</c>).
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    /// <summary>Every namespace this tool creates starts with this, followed by the creating process id.</summary>
    public const string Prefix = "rb";

    private static int s_counter;
    private bool _deleted;

    private NetworkNamespace(string name) => Name = name;

    /// <summary>The name under /run/netns.</summary>
    public string Name { get; }

    /// <summary>
    /// Creates a namespace named <c>rb{pid}-{role}{n}</c>, unique per process and call, with loopback up. The pid in the
    /// name lets <see cref="NamespaceJanitor"/> remove leftovers of processes that died.
    /// </summary>
    public static NetworkNamespace Create(string role)
    {
        int n = Interlocked.Increment(ref s_counter);
        string name = $"{Prefix}{Environment.ProcessId}-{role}{n}";
        var ns = new NetworkNamespace(name);
        // Tracked before it exists: a SIGTERM while `ip netns add` runs must still find it (and delete it again below
        // if the janitor got there first).
        NamespaceJanitor.Track(ns);
        try
        {
            ProcessRunner.RunChecked("ip", "netns", "add", name);
            if (Volatile.Read(ref ns._deleted))
            {
                ProcessRunner.Run("ip", ["netns", "del", name]);
                throw new OperationCanceledException($"namespace {name} was deleted while it was being created (the process is stopping).");
            }

            ns.Ip("link", "set", "lo", "up");
            // Addresses are usable at once: duplicate address detection would hold IPv6 addresses "tentative" for ~1 s.
            ns.WriteSysctl("net/ipv6/conf/all/accept_dad", "0");
            ns.WriteSysctl("net/ipv6/conf/default/accept_dad", "0");
        }
        catch
        {
            ns.Dispose();
            throw;
        }

        return ns;
    }

    /// <summary>Runs <c>ip -n NAME …</c> and returns its output; throws with ip's message on failure.</summary>
    public string Ip(params string[] arguments) => ProcessRunner.RunChecked("ip", ["-n", Name, .. arguments]);

    /// <summary>Runs a program inside the namespace (<c>ip netns exec</c>) to completion.</summary>
    public ProcessResult Exec(string program, IEnumerable<string> arguments, TimeSpan? timeout = null, string? standardInput = null) =>
        ProcessRunner.Run("ip", ["netns", "exec", Name, program, .. arguments], timeout, standardInput);

    /// <summary>Writes a value under /proc/sys inside this namespace.</summary>
    public void WriteSysctl(string key, string value) => Run(() =>
    {
        File.WriteAllText($"/proc/sys/{key}", value);
        return 0;
    });

    /// <summary>
    /// Runs <paramref name="action"/> on the current thread while that thread is inside this namespace, then moves the
    /// thread back. Anything the action opens (sockets) stays in this namespace. The action must not await.
    /// </summary>
    public T Run<T>(Func<T> action)
    {
        ObjectDisposedException.ThrowIf(_deleted, this);
        return RunInside($"/run/netns/{Name}", Name, action);
    }

    /// <summary>
    /// Runs <paramref name="action"/> on the current thread inside the network namespace at <paramref name="namespacePath"/>
    /// (<c>/run/netns/NAME</c>, <c>/proc/PID/ns/net</c>), one this process did not necessarily create, then moves back.
    /// </summary>
    public static T RunInside<T>(string namespacePath, string label, Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        using SafeFileHandle original = File.OpenHandle("/proc/thread-self/ns/net");
        using SafeFileHandle target = File.OpenHandle(namespacePath);
        Enter(target, label);
        try
        {
            return action();
        }
        finally
        {
            Enter(original, "the original namespace");
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> inside the named namespace under /run/netns (also one this process did not create,
    /// e.g. made with <c>ip netns add</c>), after checking the name, then moves the thread back.
    /// </summary>
    /// <exception cref="ArgumentException">No namespace of that name.</exception>
    public static T RunIn<T>(string name, Func<T> action)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('/', StringComparison.Ordinal) || name is "." or ".." || !File.Exists($"/run/netns/{name}"))
        {
            throw new ArgumentException($"there is no network namespace named '{name}' (see `ip netns list`).", nameof(name));
        }

        return RunInside($"/run/netns/{name}", name, action);
    }

    /// <summary>The interface index of <paramref name="interfaceName"/> in this namespace.</summary>
    public int InterfaceIndex(string interfaceName)
    {
        int index = Run(() => InterfaceNames.IndexOf(interfaceName));
        return index > 0 ? index : throw new InvalidOperationException($"There is no interface '{interfaceName}' in {Name}.");
    }

    private static void Enter(SafeFileHandle handle, string what)
    {
        if (Libc.SetNamespace(handle, Libc.CLONE_NEWNET) != 0)
        {
            throw new InvalidOperationException($"setns into {what} failed: {Libc.LastError.Describe()}");
        }
    }

    /// <summary>Deletes the namespace (processes still inside it are killed first).</summary>
    public void Dispose()
    {
        if (_deleted)
        {
            return;
        }

        _deleted = true;
        // `ip netns del` unmounts and unlinks /run/netns/NAME. The unlink fails (EBUSY) while a process that is just
        // being started with `ip netns exec` still holds the mount in its own mount namespace (seen when SIGTERM met
        // a lab that was setting its topology up), so kill what is inside and try again a few times.
        for (int attempt = 1; ; attempt++)
        {
            KillProcessesInside(Name);
            if (ProcessRunner.Run("ip", ["netns", "del", Name]).Succeeded || !File.Exists(Path.Combine("/run/netns", Name)) || attempt == 5)
            {
                break;
            }

            Thread.Sleep(50 * attempt);
        }

        NamespaceJanitor.Untrack(this);
    }

    internal static void KillProcessesInside(string name)
    {
        ProcessResult pids = ProcessRunner.Run("ip", ["netns", "pids", name]);
        foreach (string pid in pids.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (int.TryParse(pid, out int id) && id != Environment.ProcessId)
            {
                try
                {
                    using var process = System.Diagnostics.Process.GetProcessById(id);
                    process.Kill();
                }
                catch (ArgumentException)
                {
                }
                catch (InvalidOperationException)
                {
                }
            }
        }
    }
}
