using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Rebound.TestSupport;

/// <summary>Client helpers that behave like the field report's client: a connected UDP socket that sends and waits.</summary>
public static class UdpClients
{
    /// <summary>Opens a connected UDP socket (optionally bound first). Call inside <c>NetworkNamespace.Run</c> to place it.</summary>
    public static Socket Connect(IPEndPoint server, IPEndPoint? bindTo = null)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (bindTo is not null)
        {
            socket.Bind(bindTo);
        }

        socket.Connect(server);
        return socket;
    }

    /// <summary>Sends <paramref name="text"/> and returns the reply, or null if none arrived in time (or ICMP refused it).</summary>
    public static string? Exchange(Socket socket, string text, int timeoutMs = 700)
    {
        socket.Send(Encoding.ASCII.GetBytes(text));
        byte[] buffer = new byte[2048];
        socket.ReceiveTimeout = timeoutMs;
        try
        {
            int n = socket.Receive(buffer);
            return Encoding.ASCII.GetString(buffer, 0, n);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock or SocketError.ConnectionRefused)
        {
            return null;
        }
    }
}
