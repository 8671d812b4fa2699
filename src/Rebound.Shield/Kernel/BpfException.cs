using Rebound.Interop;
using ErrnoValue = Rebound.Interop.Errno;

namespace Rebound.Shield.Kernel;

/// <summary>A bpf(2) or cgroup call failed; carries the errno and, for a rejected program, the verifier's log.</summary>
public sealed class BpfException : Exception
{
    /// <summary>A failure without details.</summary>
    public BpfException()
    {
    }

    /// <summary>A failure described by <paramref name="message"/>.</summary>
    public BpfException(string message)
        : base(message)
    {
    }

    /// <summary>A failure caused by <paramref name="innerException"/>.</summary>
    public BpfException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal BpfException(string message, ErrnoValue errno, string? verifierLog = null)
        : base($"{message}: {Describe(errno)}{(string.IsNullOrWhiteSpace(verifierLog) ? "" : "\nverifier log:\n" + verifierLog.TrimEnd())}")
    {
        Errno = (int)errno;
        VerifierLog = verifierLog;
    }

    /// <summary>The errno of the failed call (1 EPERM, 22 EINVAL, ...).</summary>
    public int Errno { get; }

    /// <summary>The same errno, typed, for the shield's own decisions.</summary>
    internal ErrnoValue Error => (ErrnoValue)Errno;

    /// <summary>What the kernel verifier printed when it rejected a program; null otherwise.</summary>
    public string? VerifierLog { get; }

    /// <summary>True when the failure is a missing privilege (EPERM/EACCES without a verifier log).</summary>
    public bool IsPermissionDenied => (ErrnoValue)Errno is ErrnoValue.EPERM or ErrnoValue.EACCES && VerifierLog is null;

    private static string Describe(ErrnoValue errno) => errno switch
    {
        ErrnoValue.EPERM => "EPERM (operation not permitted: needs root or CAP_BPF+CAP_NET_ADMIN)",
        ErrnoValue.ENOENT => "ENOENT (no such file or object)",
        ErrnoValue.EACCES => "EACCES (permission denied, or the verifier refused the program)",
        ErrnoValue.EINVAL => "EINVAL (the kernel does not support this request)",
        ErrnoValue.ENOSYS => "ENOSYS (this kernel has no bpf system call)",
        ErrnoValue.E2BIG or ErrnoValue.EBADF or ErrnoValue.EBUSY or ErrnoValue.EEXIST or ErrnoValue.ENOSPC
            or ErrnoValue.EOPNOTSUPP or ErrnoValue.ENOTSUPP => errno.ToString(),
        _ => errno.Describe(),
    };
}
