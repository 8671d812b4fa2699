using System.Net;
using System.Net.Sockets;

namespace Rebound.Tests.Support;

/// <summary>
/// Real UDP clients on loopback. A client bound to 127.0.0.1 and connected to 127.0.0.2 only accepts replies from
/// 127.0.0.2: exactly the check that makes a wrong-source reply vanish, reproducible without privileges.
/// </summary>
internal static class Loopback
{
    public static readonly TimeSpan NoReplyWait = TimeSpan.FromMilliseconds(300);

    /// <summary>A UDP socket bound to <paramref name="local"/> (any port) and connected to <paramref name="server"/>:<paramref name="port"/>.</summary>
    public static Socket Client(string local, string server, int port, int receiveTimeoutMs = 2000)
    {
        IPAddress serverAddress = IPAddress.Parse(server);
        var socket = new Socket(serverAddress.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = receiveTimeoutMs };
        socket.Bind(new IPEndPoint(IPAddress.Parse(local), 0));
        socket.Connect(new IPEndPoint(serverAddress, port));
        return socket;
    }

    /// <summary>The reply the connected client receives, or null when none arrives in time.</summary>
    public static byte[]? TryReceive(Socket client, TimeSpan wait)
    {
        var buffer = new byte[2048];
        if (!client.Poll(wait, SelectMode.SelectRead))
        {
            return null;
        }

        try
        {
            int length = client.Receive(buffer);
            return buffer[..length];
        }
        catch (SocketException)
        {
            // ECONNREFUSED from an ICMP error: also "no reply".
            return null;
        }
    }

    /// <summary>Waits until <paramref name="socket"/> has a datagram queued (the kernel delivers loopback sends at once, but be sure).</summary>
    public static void WaitReadable(Socket socket) => Assert.True(socket.Poll(TimeSpan.FromSeconds(2), SelectMode.SelectRead), "no datagram arrived");

    /// <summary>Receives batches until <paramref name="expected"/> datagrams arrived, echoing each through <paramref name="onBatch"/>.</summary>
    public static int ReceiveBatches(ReboundSocket server, DatagramBatch batch, int expected, Action<DatagramBatch> onBatch)
    {
        int total = 0;
        int calls = 0;
        while (total < expected)
        {
            Assert.True(++calls <= expected, "more receive calls than datagrams");
            total += server.ReceiveBatch(batch);
            onBatch(batch);
        }

        return calls;
    }

    /// <summary>Sets every item's reply to its own payload.</summary>
    public static void EchoAll(DatagramBatch batch)
    {
        for (int i = 0; i < batch.Count; i++)
        {
            batch.SetReply(i, batch.Payload(i));
        }
    }

    public static void SetOption(Socket socket, int level, int name, int value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BitConverter.TryWriteBytes(bytes, value);
        socket.SetRawSocketOption(level, name, bytes);
    }
}
