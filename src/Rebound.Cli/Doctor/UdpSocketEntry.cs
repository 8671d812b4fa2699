using System.Net;

namespace Rebound.Cli.Doctor;

/// <summary>
/// One line of <c>/proc/net/udp</c> or <c>/proc/net/udp6</c>: a UDP socket as the kernel lists it, before any process
/// is matched to it.
/// </summary>
/// <param name="Local">The bound address and port (0.0.0.0 / :: for a wildcard socket).</param>
/// <param name="Remote">The connected peer, or the unspecified address with port 0 for an unconnected socket.</param>
/// <param name="State">The kernel's socket state: 7 (TCP_CLOSE) for an unconnected socket, 1 (ESTABLISHED) once connected.</param>
/// <param name="Uid">The owning user id.</param>
/// <param name="Inode">The socket inode, which <c>/proc/PID/fd</c> links name as <c>socket:[INODE]</c>.</param>
/// <param name="Drops">Datagrams the kernel dropped on this socket (receive buffer full).</param>
internal sealed record UdpSocketEntry(IPEndPoint Local, IPEndPoint Remote, int State, uint Uid, ulong Inode, ulong Drops)
{
    /// <summary>The state value of a socket that is not connected to one peer.</summary>
    public const int Unconnected = 7;

    /// <summary>True when the socket is unconnected and bound to 0.0.0.0 or :: — it may reply from the wrong address.</summary>
    public bool IsWildcardListener =>
        State == Unconnected && (Local.Address.Equals(IPAddress.Any) || Local.Address.Equals(IPAddress.IPv6Any));
}
