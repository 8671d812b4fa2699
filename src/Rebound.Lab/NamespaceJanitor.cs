using System.Runtime.InteropServices;

namespace Rebound.Lab;

/// <summary>
/// Makes sure no namespace outlives its purpose: deletes the live ones on Ctrl-C, SIGTERM or process exit, and
/// finds leftovers of processes that died (<c>rebound lab --cleanup</c>).
/// </summary>
public static class NamespaceJanitor
{
    private static readonly Lock Gate = new();
    private static readonly HashSet<NetworkNamespace> Live = [];
    private static readonly List<PosixSignalRegistration> Registrations = [];
    private static bool s_hooked;

    public static void Track(NetworkNamespace ns)
    {
        lock (Gate)
        {
            Live.Add(ns);
            if (!s_hooked)
            {
                s_hooked = true;
                AppDomain.CurrentDomain.ProcessExit += (_, _) => DeleteAll();
                foreach (PosixSignal signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP })
                {
                    Registrations.Add(PosixSignalRegistration.Create(signal, context =>
                    {
                        DeleteAll();
                        context.Cancel = false;
                    }));
                }
            }
        }
    }

    public static void Untrack(NetworkNamespace ns)
    {
        lock (Gate)
        {
            Live.Remove(ns);
        }
    }

    /// <summary>Deletes every namespace this process still holds.</summary>
    public static void DeleteAll()
    {
        NetworkNamespace[] all;
        lock (Gate)
        {
            all = [.. Live];
        }

        foreach (NetworkNamespace ns in all)
        {
            ns.Dispose();
        }
    }

    /// <summary>Names of namespaces this tool created whose creating process is gone.</summary>
    public static IReadOnlyList<string> FindLeftovers(bool includeLiveProcesses = false)
    {
        if (!Directory.Exists("/run/netns"))
        {
            return [];
        }

        var leftovers = new List<string>();
        foreach (string path in Directory.EnumerateFiles("/run/netns"))
        {
            string name = Path.GetFileName(path);
            if (TryGetCreator(name, out int pid) && (includeLiveProcesses || !Directory.Exists($"/proc/{pid}")))
            {
                leftovers.Add(name);
            }
        }

        return leftovers;
    }

    /// <summary>Deletes the leftovers <see cref="FindLeftovers"/> reports; returns their names.</summary>
    public static IReadOnlyList<string> RemoveLeftovers()
    {
        IReadOnlyList<string> leftovers = FindLeftovers();
        foreach (string name in leftovers)
        {
            NetworkNamespace.KillProcessesInside(name);
            ProcessRunner.Run("ip", ["netns", "del", name]);
        }

        return leftovers;
    }

    /// <summary>Parses <c>rb{pid}-…</c>.</summary>
    public static bool TryGetCreator(string name, out int pid)
    {
        pid = 0;
        if (!name.StartsWith(NetworkNamespace.Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        int dash = name.IndexOf('-', StringComparison.Ordinal);
        return dash > NetworkNamespace.Prefix.Length &&
               int.TryParse(name.AsSpan(NetworkNamespace.Prefix.Length, dash - NetworkNamespace.Prefix.Length), out pid);
    }
}
