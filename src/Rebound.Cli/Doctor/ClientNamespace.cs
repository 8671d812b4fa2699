using System.Globalization;
using Rebound.Cli.Infrastructure;
using Rebound.Lab;

namespace Rebound.Cli.Doctor;

/// <summary>
/// A network namespace that clients of the inspected one live in (a container's, another named namespace), and how
/// to find them: by name (<c>--from-netns</c>), by process (<c>--from-pid</c>), or all containers of the inspected
/// namespace (<c>--from-containers</c>): every namespace with processes that is joined to it by a veth pair.
/// </summary>
internal sealed record ClientNamespace(string Path, string Label)
{
    public static ClientNamespace FromNetns(string name) => new($"/run/netns/{name}", $"netns {name}");

    public static ClientNamespace FromPid(int pid) => new($"/proc/{pid}/ns/net", $"pid {pid} ({Command(pid)})");

    /// <summary>The namespace's identity (<c>net:[inode]</c>), read from inside it.</summary>
    public static string Identity(string? path) => path is null
        ? ReadIdentity()
        : NetworkNamespace.RunInside(path, path, ReadIdentity);

    /// <summary>
    /// Every other network namespace — named under /run/netns, or holding processes — that holds one end of a veth
    /// pair whose other end is in the target: the target's containers. The ends must point at each other by interface
    /// index, and where a side has a name, the other side must name it (<c>link-netns NAME</c>), so look-alike
    /// topologies elsewhere on the machine never match. One process names an unnamed namespace.
    /// </summary>
    public static List<ClientNamespace> Containers(string? targetPath)
    {
        string target = Identity(targetPath);
        string? targetName = NameOf(targetPath);
        List<PairedLink> targetEnds = PairedLinks(targetPath);
        var seen = new HashSet<string>(StringComparer.Ordinal) { target };
        var found = new List<ClientNamespace>();
        foreach ((ClientNamespace candidate, string? name) in Candidates())
        {
            string identity;
            try
            {
                identity = candidate.Path.StartsWith("/proc/", StringComparison.Ordinal)
                    ? new FileInfo(candidate.Path).LinkTarget ?? ""
                    : Identity(candidate.Path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                continue;
            }

            if (identity.Length == 0 || !seen.Add(identity))
            {
                continue;
            }

            bool joined = PairedLinks(candidate.Path).Any(end => targetEnds.Any(t =>
                t.Index == end.PeerIndex && t.PeerIndex == end.Index &&
                (targetName is null || end.PeerNamespace == targetName) &&
                (name is null || t.PeerNamespace == name)));
            if (joined)
            {
                found.Add(candidate);
            }
        }

        return found;
    }

    /// <summary>Named namespaces first (so they keep their names), then one process per namespace.</summary>
    private static IEnumerable<(ClientNamespace Candidate, string? Name)> Candidates()
    {
        if (Directory.Exists("/run/netns"))
        {
            foreach (string path in Directory.EnumerateFiles("/run/netns").Order(StringComparer.Ordinal))
            {
                string name = System.IO.Path.GetFileName(path);
                yield return (FromNetns(name), name);
            }
        }

        foreach (string folder in Directory.EnumerateDirectories("/proc").OrderBy(f => f.Length).ThenBy(f => f, StringComparer.Ordinal))
        {
            if (int.TryParse(System.IO.Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                yield return (FromPid(pid), null);
            }
        }
    }

    private static string? NameOf(string? path) =>
        path is not null && path.StartsWith("/run/netns/", StringComparison.Ordinal) ? path["/run/netns/".Length..] : null;

    private static string ReadIdentity() => new FileInfo("/proc/thread-self/ns/net").LinkTarget ?? "";

    /// <summary>
    /// One end of a veth pair (or another link with a peer in another namespace): its index, its peer's index, and the
    /// peer's namespace name when ip knows it (<c>link-netns NAME</c>; unnamed peers show <c>link-netnsid N</c>).
    /// </summary>
    private sealed record PairedLink(int Index, int PeerIndex, string? PeerNamespace);

    /// <summary>The paired links of a namespace, from <c>ip -o link</c> ("5: eth0@if6: … link-netns host").</summary>
    private static List<PairedLink> PairedLinks(string? path)
    {
        ProcessResult links = path is null
            ? ProcessRunner.Run("ip", ["-o", "link", "show"])
            : ProcessRunner.Run("nsenter", [$"--net={path}", "ip", "-o", "link", "show"]);
        var ends = new List<PairedLink>();
        foreach (string line in links.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] fields = line.Split(": ", 3);
            int at = fields.Length >= 2 ? fields[1].IndexOf("@if", StringComparison.Ordinal) : -1;
            string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int named = Array.IndexOf(words, "link-netns");
            if (at > 0 && (named >= 0 || line.Contains(" link-netnsid ", StringComparison.Ordinal)) &&
                int.TryParse(fields[0], CultureInfo.InvariantCulture, out int index) &&
                int.TryParse(fields[1].AsSpan(at + 3), CultureInfo.InvariantCulture, out int peer))
            {
                ends.Add(new PairedLink(index, peer, named >= 0 && named + 1 < words.Length ? words[named + 1] : null));
            }
        }

        return ends;
    }

    private static string Command(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "?";
        }
    }
}
