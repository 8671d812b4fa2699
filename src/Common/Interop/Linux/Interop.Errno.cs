using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Rebound.Interop;

/// <summary>
/// Linux errno values Rebound reacts to, defined here only. Native results carry this type up to the public class that
/// decides (<see cref="ErrnoExtensions.ToException"/>), never a bare int.
/// </summary>
internal enum Errno
{
    /// <summary>No error.</summary>
    None = 0,
    EPERM = 1,
    ENOENT = 2,
    EINTR = 4,
    EIO = 5,
    E2BIG = 7,
    EBADF = 9,
    EAGAIN = 11,
    ENOMEM = 12,
    EACCES = 13,
    EFAULT = 14,
    EBUSY = 16,
    EEXIST = 17,
    EINVAL = 22,
    ENOSPC = 28,
    ENOSYS = 38,
    ENOTSOCK = 88,
    EMSGSIZE = 90,
    EOPNOTSUPP = 95,
    EADDRINUSE = 98,
    EADDRNOTAVAIL = 99,
    ENETUNREACH = 101,
    ENOBUFS = 105,
    ESHUTDOWN = 108,
    ECONNREFUSED = 111,
    EHOSTUNREACH = 113,

    /// <summary>The kernel-internal "not supported" some bpf(2) commands leak to user space.</summary>
    ENOTSUPP = 524,
}

/// <summary>What an <see cref="Errno"/> means to a caller: its <see cref="SocketError"/>, its text, its exception.</summary>
internal static class ErrnoExtensions
{
    /// <summary>Largest errno value counted individually in statistics; larger ones share the last slot.</summary>
    public const int MaxTracked = 134;

    /// <summary>True for the errors a send from a chosen source gets when that address is gone or unusable.</summary>
    public static bool MeansSourceUnavailable(this Errno errno) =>
        errno is Errno.EINVAL or Errno.EADDRNOTAVAIL or Errno.ENETUNREACH;

    public static SocketError ToSocketError(this Errno errno) => errno switch
    {
        Errno.None => SocketError.Success,
        Errno.EAGAIN => SocketError.WouldBlock,
        Errno.EINTR => SocketError.Interrupted,
        Errno.EPERM or Errno.EACCES => SocketError.AccessDenied,
        Errno.EINVAL => SocketError.InvalidArgument,
        Errno.EMSGSIZE => SocketError.MessageSize,
        Errno.EADDRINUSE => SocketError.AddressAlreadyInUse,
        Errno.EADDRNOTAVAIL => SocketError.AddressNotAvailable,
        Errno.ENETUNREACH => SocketError.NetworkUnreachable,
        Errno.ENOBUFS or Errno.ENOMEM => SocketError.NoBufferSpaceAvailable,
        Errno.ECONNREFUSED => SocketError.ConnectionRefused,
        Errno.EHOSTUNREACH => SocketError.HostUnreachable,
        Errno.EBADF => SocketError.OperationAborted,
        Errno.ESHUTDOWN => SocketError.Shutdown,
        _ => SocketError.SocketError,
    };

    /// <summary>The C library's text and the number, e.g. "Connection refused (errno 111)".</summary>
    public static string Describe(this Errno errno) => $"{Marshal.GetPInvokeErrorMessage((int)errno)} (errno {(int)errno})";

    /// <summary>The exception every failed socket-layer call throws: a <see cref="SocketException"/> naming the call.</summary>
    public static SocketException ToException(this Errno errno, string operation) =>
        new((int)errno.ToSocketError(), $"{operation} failed: {errno.Describe()}");
}

// The error convention shared by every call group: read the errno once, retry EINTR with the one rule below.
internal static partial class Libc
{
    /// <summary>The errno of the last failed native call on this thread (imports declare SetLastError = true).</summary>
    public static Errno LastError => (Errno)Marshal.GetLastPInvokeError();

    /// <summary>
    /// The one EINTR rule: true when a call that returned <paramref name="result"/> was interrupted by a signal and must
    /// be made again: <c>do { r = call(); } while (Libc.Interrupted(r));</c>.
    /// </summary>
    public static bool Interrupted(nint result) => result < 0 && Marshal.GetLastPInvokeError() == (int)Errno.EINTR;
}
