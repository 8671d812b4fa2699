using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Rebound.Interop;

/// <summary>
/// Linux errno values Rebound reacts to (defined here only), their mapping onto <see cref="SocketError"/>, and the one
/// EINTR rule: a call a signal interrupted is made again (<c>do { r = call(); } while (Errno.Interrupted(r));</c>).
/// </summary>
internal static class Errno
{
    public const int EPERM = 1;
    public const int EINTR = 4;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int EFAULT = 14;
    public const int EINVAL = 22;
    public const int ENOTSOCK = 88;
    public const int EMSGSIZE = 90;
    public const int EADDRINUSE = 98;
    public const int EADDRNOTAVAIL = 99;
    public const int ENETUNREACH = 101;
    public const int ENOBUFS = 105;
    public const int ESHUTDOWN = 108;
    public const int ECONNREFUSED = 111;
    public const int EHOSTUNREACH = 113;

    /// <summary>Largest errno value counted individually in statistics; larger ones share the last slot.</summary>
    public const int MaxTracked = 134;

    /// <summary>The errno of the last failed native call on this thread (imports declare SetLastError = true).</summary>
    public static int Last => Marshal.GetLastPInvokeError();

    /// <summary>True when a call that returned <paramref name="result"/> failed with EINTR and should be made again.</summary>
    public static bool Interrupted(nint result) => result < 0 && Marshal.GetLastPInvokeError() == EINTR;

    /// <summary>True for the errors a send from a chosen source gets when that address is gone or unusable.</summary>
    public static bool MeansSourceUnavailable(int errno) =>
        errno is EINVAL or EADDRNOTAVAIL or ENETUNREACH;

    public static SocketError ToSocketError(int errno) => errno switch
    {
        EAGAIN => SocketError.WouldBlock,
        EINTR => SocketError.Interrupted,
        EPERM or EACCES => SocketError.AccessDenied,
        EINVAL => SocketError.InvalidArgument,
        EMSGSIZE => SocketError.MessageSize,
        EADDRINUSE => SocketError.AddressAlreadyInUse,
        EADDRNOTAVAIL => SocketError.AddressNotAvailable,
        ENETUNREACH => SocketError.NetworkUnreachable,
        ENOBUFS or ENOMEM => SocketError.NoBufferSpaceAvailable,
        ECONNREFUSED => SocketError.ConnectionRefused,
        EHOSTUNREACH => SocketError.HostUnreachable,
        EBADF => SocketError.OperationAborted,
        ESHUTDOWN => SocketError.Shutdown,
        _ => SocketError.SocketError,
    };

    public static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    public static SocketException ToException(int errno, string operation) =>
        new((int)ToSocketError(errno), $"{operation} failed: {Describe(errno)}");
}
