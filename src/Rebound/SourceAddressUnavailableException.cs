using System.Net.Sockets;
using Rebound.Interop;

namespace Rebound;

/// <summary>
/// A reply could not leave from the requested source address because the host no longer has it (or cannot use it):
/// the kernel answered EINVAL, EADDRNOTAVAIL or ENETUNREACH. Only that one datagram fails; the socket keeps serving.
/// </summary>
public sealed class SourceAddressUnavailableException : SocketException
{
    /// <summary>Creates the exception for <paramref name="source"/> and the kernel's errno.</summary>
    public SourceAddressUnavailableException(UdpEndPoint source, int errno)
        : base((int)((Interop.Errno)errno).ToSocketError(), $"Cannot send from {source.ToString("a", null)}: {((Interop.Errno)errno).Describe()}. The address may have been removed from this host.")
    {
        SourceAddress = source;
        Errno = errno;
    }

    /// <summary>The source address the datagram was meant to leave from.</summary>
    public UdpEndPoint SourceAddress { get; }

    /// <summary>The Linux errno the kernel returned.</summary>
    public int Errno { get; }
}
