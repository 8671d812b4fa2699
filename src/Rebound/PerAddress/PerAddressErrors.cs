using System.Net.Sockets;
using Rebound.Interop;

namespace Rebound.PerAddress;

/// <summary>
/// The per-address strategy learns of send failures as <see cref="SocketError"/> (managed sockets, any OS); statistics,
/// metrics and <see cref="DatagramBatch.ReplyError(int)"/> count them by Linux errno, so they are mapped back.
/// </summary>
internal static class PerAddressErrors
{
    public static Errno ToErrno(SocketError error) => error switch
    {
        SocketError.AddressNotAvailable => Errno.EADDRNOTAVAIL,
        SocketError.InvalidArgument => Errno.EINVAL,
        SocketError.NetworkUnreachable => Errno.ENETUNREACH,
        SocketError.HostUnreachable => Errno.EHOSTUNREACH,
        SocketError.MessageSize => Errno.EMSGSIZE,
        SocketError.AccessDenied => Errno.EACCES,
        SocketError.NoBufferSpaceAvailable => Errno.ENOBUFS,
        SocketError.ConnectionRefused => Errno.ECONNREFUSED,
        SocketError.AddressFamilyNotSupported => Errno.EINVAL,
        SocketError.Shutdown => Errno.ESHUTDOWN,
        SocketError.OperationAborted => Errno.EBADF,
        _ => (Errno)ErrnoExtensions.MaxTracked,
    };
}
