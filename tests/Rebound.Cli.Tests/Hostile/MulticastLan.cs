using System.Net;
using System.Net.Sockets;
using Rebound.Lab;

namespace Rebound.Cli.Tests.Hostile;

/// <summary>
/// A namespace with one veth interface (lan0: 192.0.2.1/24, 2001:db8::1/64) where multicast sent out of lan0 loops back
/// to local members: the setting of the multicast tests.
/// </summary>
internal sealed class MulticastLan : IDisposable
{
    /// <summary>A documentation group (233.252.0.0/24, RFC 5771).</summary>
    public static readonly IPAddress V4Group = IPAddress.Parse("233.252.0.1");

    /// <summary>A transient link-scope group under 2001:db8's ff12::db8: prefix.</summary>
    public static readonly IPAddress V6Group = IPAddress.Parse("ff12::db8:1");

    public MulticastLan()
    {
        Namespace = NetworkNamespace.Create("mc");
        try
        {
            Namespace.Ip("link", "add", "lan0", "type", "veth", "peer", "name", "lan1");
            Namespace.Ip("link", "set", "lan1", "up");
            Namespace.Ip("link", "set", "lan0", "up");
            Namespace.Ip("addr", "add", "192.0.2.1/24", "dev", "lan0");
            Namespace.Ip("addr", "add", "2001:db8::1/64", "dev", "lan0", "nodad");
            InterfaceIndex = Namespace.InterfaceIndex("lan0");
        }
        catch
        {
            Namespace.Dispose();
            throw;
        }
    }

    public NetworkNamespace Namespace { get; }

    public int InterfaceIndex { get; }

    /// <summary>A client on the interface's address that sends multicast out of lan0 (looped back to local members).</summary>
    public Socket Client(AddressFamily family) => Namespace.Run(() =>
    {
        var client = new Socket(family, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 2000 };
        if (family == AddressFamily.InterNetwork)
        {
            client.Bind(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 0));
            client.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, IPAddress.HostToNetworkOrder(InterfaceIndex));
        }
        else
        {
            client.Bind(new IPEndPoint(IPAddress.Parse("2001:db8::1"), 0));
            client.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastInterface, InterfaceIndex);
        }

        return client;
    });

    public void Dispose() => Namespace.Dispose();

    /// <summary>
    /// Sends <paramref name="payload"/> ("ping" by default) to <paramref name="destination"/> and counts the replies: waits
    /// 2 s for the first, then until none has come for 0.5 s. <paramref name="source"/> is where the first came from.
    /// </summary>
    public static int CountReplies(Socket client, IPEndPoint destination, byte[]? payload = null) => CountReplies(client, destination, payload, out _);

    /// <inheritdoc cref="CountReplies(Socket, IPEndPoint, byte[])"/>
    public static int CountReplies(Socket client, IPEndPoint destination, byte[]? payload, out IPAddress? source)
    {
        client.SendTo(payload ?? "ping"u8.ToArray(), destination);
        int replies = 0;
        source = null;
        while (client.Poll(replies == 0 ? TimeSpan.FromSeconds(2) : TimeSpan.FromMilliseconds(500), SelectMode.SelectRead))
        {
            EndPoint from = new IPEndPoint(client.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
            client.ReceiveFrom(new byte[4096], ref from);
            source ??= ((IPEndPoint)from).Address;
            replies++;
        }

        return replies;
    }
}
