using System.Text;
using Rebound.Interop;
using Rebound.Shield.Kernel;

namespace Rebound.Shield;

/// <summary>Where the shield covering a process was found.</summary>
/// <param name="CgroupPath">The cgroup carrying it: the process's own or an ancestor (a pinned shield), or the process's own (one in effect there).</param>
/// <param name="Pinned">True for a pinned shield (<c>rebound shield attach</c>), false for one only in effect (<c>--foreground</c>, or another tool's).</param>
public sealed record ShieldCover(string CgroupPath, bool Pinned);

/// <summary>
/// Answers "do this process's replies pass through a shield?" for diagnostics (<c>rebound doctor</c>): the process's
/// cgroup v2 from <c>/proc/PID/cgroup</c>, then a pin directory of ours on it or an ancestor, then (root only) the
/// programs in effect on its UDP4 sendmsg hook, looking for ours by name.
/// </summary>
public static class ShieldCoverage
{
    private const string SendProgramName = "rb_sendmsg4";
    private const int MaxPrograms = 64;

    /// <summary>The shield covering process <paramref name="pid"/>, or null (none, the process is gone, or no cgroup v2).</summary>
    public static ShieldCover? OfProcess(int pid)
    {
        string cgroup;
        try
        {
            cgroup = Cgroups.OfProcess(pid);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return OfCgroup(cgroup);
    }

    /// <summary>The shield covering processes of <paramref name="cgroupPath"/>, or null.</summary>
    public static ShieldCover? OfCgroup(string cgroupPath)
    {
        ArgumentNullException.ThrowIfNull(cgroupPath);
        string? mount = Cgroups.UnifiedMount();
        if (mount is null)
        {
            return null;
        }

        try
        {
            for (string? directory = cgroupPath; directory is not null && directory.StartsWith(mount, StringComparison.Ordinal); directory = Path.GetDirectoryName(directory))
            {
                if (Directory.Exists(CgroupShield.PinDirectoryOf(Cgroups.Id(directory))))
                {
                    return new ShieldCover(directory, Pinned: true);
                }
            }

            return HasOurSendProgram(cgroupPath) ? new ShieldCover(cgroupPath, Pinned: false) : null;
        }
        catch (Exception e) when (e is BpfException or IOException or UnauthorizedAccessException)
        {
            // The cgroup went away, or this user may not look (bpf needs root): not provably shielded.
            return null;
        }
    }

    private static unsafe bool HasOurSendProgram(string cgroupPath)
    {
        using var cgroup = FileDescriptor.OpenDirectory(cgroupPath);
        uint* ids = stackalloc uint[MaxPrograms];
        var query = new ProgramQueryAttributes
        {
            TargetFd = cgroup.Value,
            AttachType = BpfAttachType.CgroupUdp4SendMessage,
            QueryFlags = ProgramQueryAttributes.Effective,
            ProgramIds = (ulong)ids,
            ProgramCount = MaxPrograms,
        };
        if (BpfCalls.Invoke(BpfCommand.ProgramQuery, ref query, out Errno errno) < 0)
        {
            throw new BpfException("cannot query the cgroup's programs", errno);
        }

        for (int i = 0; i < Math.Min((int)query.ProgramCount, MaxPrograms); i++)
        {
            var byId = new GetFdByIdAttributes { Id = ids[i] };
            long fd = BpfCalls.Invoke(BpfCommand.ProgramGetFdById, ref byId, out _);
            if (fd < 0)
            {
                continue;
            }

            using var program = new FileDescriptor((int)fd);
            ProgramInfo info = BpfObjects.GetInfo<ProgramInfo>(program);
            if (Encoding.ASCII.GetString(new ReadOnlySpan<byte>(info.Name, 16)).TrimEnd('\0') == SendProgramName)
            {
                return true;
            }
        }

        return false;
    }
}
