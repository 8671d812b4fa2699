using System.Net;
using System.Net.Sockets;

namespace Rebound.Shield.Tests.Support;

/// <summary>
/// The same-host form of the field report: a client bound to 127.0.0.1 asks another loopback address. A naive
/// server on 0.0.0.0 answers from 127.0.0.1 (the kernel's choice for that destination), and the client's connected
/// socket never sees that reply.
/// </summary>
public static class LoopbackClient
{
    /// <summary>Sends "hello" from 127.0.0.1 to <paramref name="asked"/> on a connected socket; returns the reply or null.</summary>
    public static string? AskConnected(string asked, int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Connect(IPAddress.Parse(asked), port);
        socket.ReceiveTimeout = 1500;
        socket.Send("hello"u8);
        var buffer = new byte[64];
        try
        {
            int n = socket.Receive(buffer);
            return System.Text.Encoding.ASCII.GetString(buffer, 0, n);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.ConnectionRefused or SocketError.WouldBlock)
        {
            return null;
        }
    }

    /// <summary>Sends from an unconnected socket bound to 127.0.0.1 and returns where the reply came from (null if none).</summary>
    public static IPEndPoint? AskUnconnected(string asked, int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.ReceiveTimeout = 1500;
        socket.SendTo("hello"u8, new IPEndPoint(IPAddress.Parse(asked), port));
        var buffer = new byte[64];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        try
        {
            socket.ReceiveFrom(buffer, ref from);
            return (IPEndPoint)from;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            return null;
        }
    }
}
