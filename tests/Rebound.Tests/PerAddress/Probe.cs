using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Rebound.Tests.PerAddress;

/// <summary>
/// An unconnected client socket that asks a server address and reports where the answer came from, so a wrong-source
/// reply is seen and counted (a connected socket would silently drop it).
/// </summary>
internal static class Probe
{
    /// <summary>Sends <paramref name="text"/> to <paramref name="asked"/> and returns the reply's source and text, or null.</summary>
    public static (IPEndPoint From, string Text)? Ask(Socket client, IPEndPoint asked, string text, int timeoutMs = 1000)
    {
        client.SendTo(Encoding.ASCII.GetBytes(text), asked);
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        byte[] buffer = new byte[2048];
        while (true)
        {
            TimeSpan left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !client.Poll(left, SelectMode.SelectRead))
            {
                return null;
            }

            EndPoint from = new IPEndPoint(asked.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
            int n;
            try
            {
                n = client.ReceiveFrom(buffer, ref from);
            }
            catch (SocketException)
            {
                continue;
            }

            string reply = Encoding.ASCII.GetString(buffer, 0, n);
            if (reply == text)
            {
                return ((IPEndPoint)from, reply);
            }

            // A late answer to an earlier probe: not this one's.
        }
    }

    /// <summary>An unconnected UDP socket of <paramref name="family"/> on an ephemeral port. Create it inside the client's namespace.</summary>
    public static Socket Client(AddressFamily family)
    {
        var socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(family == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0));
        return socket;
    }

    /// <summary>True when the reply came from the asked address and port (scope ignored: it names the client's link).</summary>
    public static bool FromAsked(IPEndPoint from, IPEndPoint asked) =>
        from.Port == asked.Port && from.Address.GetAddressBytes().AsSpan().SequenceEqual(asked.Address.GetAddressBytes());
}
