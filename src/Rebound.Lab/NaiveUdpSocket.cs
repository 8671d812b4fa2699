using System.Net;
using System.Net.Sockets;

namespace Rebound.Lab;

/// <summary>
/// The plain UDP socket most servers use — no pktinfo, replies by sendto — bound for the naive side of every
/// comparison (echo --naive, listen --naive, the lab's naive rows, the bench baselines). One place, so all of them
/// reproduce the bug the same way.
/// </summary>
public static class NaiveUdpSocket
{
    /// <summary>Binds <paramref name="local"/>; an IPv6 socket also accepts IPv4 when <paramref name="dualStack"/>.</summary>
    public static Socket Bind(IPEndPoint local, bool dualStack = true)
    {
        var socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (local.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = dualStack;
            }

            socket.Bind(local);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
