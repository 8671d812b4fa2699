using Rebound.Interop;

namespace Rebound.Shield.Kernel;

/// <summary>
/// A program attached to a cgroup through a BPF link (BPF_LINK_CREATE, Linux 5.7). Links coexist with other
/// programs on the same hook (systemd's, Cilium's) and detach by themselves when the last reference goes: the
/// process's descriptor, or a pin in bpffs.
/// </summary>
internal sealed class BpfLink : IDisposable
{
    private BpfLink(FileDescriptor fd) => Fd = fd;

    public FileDescriptor Fd { get; }

    public static BpfLink Create(BpfProgram program, FileDescriptor cgroup, BpfAttachType attachType)
    {
        var attributes = new LinkCreateAttributes
        {
            ProgramFd = program.Fd.Value,
            TargetFd = cgroup.Value,
            AttachType = attachType,
        };
        long fd = BpfCalls.Invoke(BpfCommand.LinkCreate, ref attributes, out Errno errno);
        if (fd < 0)
        {
            throw new BpfException($"cannot attach {program.Name} to the cgroup ({attachType})", errno);
        }

        return new BpfLink(new FileDescriptor((int)fd));
    }

    /// <summary>Opens a pinned link; null when nothing is pinned there.</summary>
    public static BpfLink? OpenPinned(string path) =>
        BpfObjects.OpenPinned(path) is { } fd ? new BpfLink(fd) : null;

    /// <summary>The cgroup (its id: the inode number of its directory) and hook this link is attached to.</summary>
    public (ulong CgroupId, BpfAttachType AttachType) Target()
    {
        LinkInfo info = BpfObjects.GetInfo<LinkInfo>(Fd);
        return (info.CgroupId, info.AttachType);
    }

    /// <summary>Detaches the program now, even if other descriptors or pins still hold the link.</summary>
    public void Detach()
    {
        var attributes = new LinkDetachAttributes { LinkFd = Fd.Value };
        if (BpfCalls.Invoke(BpfCommand.LinkDetach, ref attributes, out Errno errno) < 0 && errno != Errno.ENOENT)
        {
            throw new BpfException("cannot detach link", errno);
        }
    }

    public void Dispose() => Fd.Dispose();
}
