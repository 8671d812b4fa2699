using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Rebound.Tests.Sockets;

/// <summary>
/// The unprivileged reproduction: a client bound to 127.0.0.1 and connected to 127.0.0.2 (all of 127/8 is local). A
/// wildcard server that lets the kernel choose answers from 127.0.0.1, which the connected client drops.
/// </summary>
internal static class LoopbackPeers
{
    public static readonly IPAddress ClientAddress = IPAddress.Loopback;
    public static readonly IPAddress AskedAddress = IPAddress.Parse("127.0.0.2");

    public static Socket ConnectedClient(IPAddress asked, int port)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(ClientAddress, 0));
        client.Connect(new IPEndPoint(asked, port));
        client.ReceiveTimeout = 500;
        return client;
    }

    /// <summary>The reply the connected client accepted, or null when the kernel dropped it (or none came).</summary>
    public static string? ReceiveReply(Socket client)
    {
        byte[] buffer = new byte[1500];
        try
        {
            int n = client.Receive(buffer);
            return Encoding.ASCII.GetString(buffer, 0, n);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            return null;
        }
    }

    /// <summary>A plain server socket: recvfrom then sendto, as most UDP servers are written.</summary>
    public static Socket NaiveServer(IPAddress bindTo)
    {
        var server = new Socket(bindTo.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (bindTo.AddressFamily == AddressFamily.InterNetworkV6)
        {
            server.DualMode = true;
        }

        server.Bind(new IPEndPoint(bindTo, 0));
        server.ReceiveTimeout = 2000;
        return server;
    }

    public static void NaiveEchoOnce(Socket server)
    {
        byte[] buffer = new byte[1500];
        EndPoint remote = new IPEndPoint(server.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        int n = server.ReceiveFrom(buffer, ref remote);
        server.SendTo(buffer.AsSpan(0, n), remote);
    }

    public static int PortOf(Socket socket) => ((IPEndPoint)socket.LocalEndPoint!).Port;
}
