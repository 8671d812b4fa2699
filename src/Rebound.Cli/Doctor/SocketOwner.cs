using System.Globalization;

namespace Rebound.Cli.Doctor;

/// <summary>A process holding a socket: its id and command line (as <c>ss -p</c> shows it).</summary>
internal sealed record SocketOwner(int Pid, string Command)
{
    /// <summary>"pid/program args", with the program's directory dropped (tables cut it to the width they have).</summary>
    public string ShortText
    {
        get
        {
            int space = Command.IndexOf(' ', StringComparison.Ordinal);
            string program = space < 0 ? Command : Command[..space];
            return $"{Pid}/{Path.GetFileName(program)}{(space < 0 ? "" : Command[space..])}";
        }
    }

    /// <summary>
    /// Maps socket inodes to the processes that hold them, by reading the <c>socket:[INODE]</c> links under
    /// <c>/proc/PID/fd</c>. Processes this user may not inspect are skipped (run as root to see them all).
    /// </summary>
    public static Dictionary<ulong, List<SocketOwner>> FindAll(IReadOnlySet<ulong> inodes)
    {
        ArgumentNullException.ThrowIfNull(inodes);
        var owners = new Dictionary<ulong, List<SocketOwner>>();
        if (inodes.Count == 0)
        {
            return owners;
        }

        foreach (string processDirectory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(processDirectory), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            SocketOwner? owner = null;
            foreach (ulong inode in SocketInodesOf(processDirectory))
            {
                if (!inodes.Contains(inode))
                {
                    continue;
                }

                owner ??= new SocketOwner(pid, ReadCommand(processDirectory));
                if (!owners.TryGetValue(inode, out List<SocketOwner>? list))
                {
                    owners[inode] = list = [];
                }

                if (!list.Contains(owner))
                {
                    list.Add(owner);
                }
            }
        }

        return owners;
    }

    private static List<ulong> SocketInodesOf(string processDirectory)
    {
        var found = new List<ulong>();
        try
        {
            foreach (string fd in Directory.EnumerateFileSystemEntries(Path.Combine(processDirectory, "fd")))
            {
                string? target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal) && target.EndsWith(']') &&
                    ulong.TryParse(target.AsSpan(8, target.Length - 9), NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode))
                {
                    found.Add(inode);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The process exited, or belongs to another user.
        }

        return found;
    }

    private static string ReadCommand(string processDirectory)
    {
        try
        {
            string commandLine = File.ReadAllText(Path.Combine(processDirectory, "cmdline")).Replace('\0', ' ').Trim();
            return commandLine.Length > 0 ? commandLine : $"[{File.ReadAllText(Path.Combine(processDirectory, "comm")).Trim()}]";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "?";
        }
    }
}
