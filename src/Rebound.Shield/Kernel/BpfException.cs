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

    internal BpfException(string message, int errno, string? verifierLog = null)
        : base($"{message}: {Describe(errno)}{(string.IsNullOrWhiteSpace(verifierLog) ? "" : "\nverifier log:\n" + verifierLog.TrimEnd())}")
    {
        Errno = errno;
        VerifierLog = verifierLog;
    }

    /// <summary>The errno of the failed call (1 EPERM, 22 EINVAL, ...).</summary>
    public int Errno { get; }

    /// <summary>What the kernel verifier printed when it rejected a program; null otherwise.</summary>
    public string? VerifierLog { get; }

    /// <summary>True when the failure is a missing privilege (EPERM/EACCES without a verifier log).</summary>
    public bool IsPermissionDenied => Errno is 1 or 13 && VerifierLog is null;

    private static string Describe(int errno) => errno switch
    {
        1 => "EPERM (operation not permitted: needs root or CAP_BPF+CAP_NET_ADMIN)",
        2 => "ENOENT (no such file or object)",
        7 => "E2BIG",
        9 => "EBADF",
        13 => "EACCES (permission denied, or the verifier refused the program)",
        16 => "EBUSY",
        17 => "EEXIST",
        22 => "EINVAL (the kernel does not support this request)",
        28 => "ENOSPC",
        38 => "ENOSYS (this kernel has no bpf system call)",
        95 => "EOPNOTSUPP",
        524 => "ENOTSUPP",
        _ => $"errno {errno}",
    };
}
