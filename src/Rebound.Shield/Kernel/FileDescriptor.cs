using System.Runtime.InteropServices;
using Rebound.Interop;

namespace Rebound.Shield.Kernel;

/// <summary>An owned Linux file descriptor (a BPF map, program or link, or a cgroup directory), closed exactly once.</summary>
internal sealed class FileDescriptor : SafeHandle
{
    public FileDescriptor(int fd)
        : base(-1, ownsHandle: true) => SetHandle(fd);

    public override bool IsInvalid => handle < 0;

    public int Value => IsClosed ? throw new ObjectDisposedException(nameof(FileDescriptor)) : (int)handle;

    /// <summary>Opens a directory (a cgroup) for the attach calls that take its descriptor.</summary>
    public static FileDescriptor OpenDirectory(string path)
    {
        int fd = FileCalls.Open(path, FileCalls.ReadOnly | FileCalls.Directory | FileCalls.CloseOnExec);
        if (fd < 0)
        {
            Errno errno = Libc.LastError;
            throw new BpfException($"cannot open {path}", errno);
        }

        return new FileDescriptor(fd);
    }

    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;
}
