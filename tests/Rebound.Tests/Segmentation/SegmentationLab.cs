using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Rebound.Lab;

namespace Rebound.Tests.Segmentation;

/// <summary>
/// The places the UDP GSO tests send in: one namespace whose loopback has two extra documentation addresses, or two
/// namespaces joined by a veth pair (sender <c>v0</c> 198.51.100.1/24, receiver <c>v1</c> 198.51.100.2/24). Plus what
/// every test needs around them: numbered payloads, a receiver that collects everything that arrives, plain sockets
/// that send one segmented message the way a naive GSO user would, and the UDP frames a tcpdump capture shows.
/// </summary>
internal sealed class SegmentationLab : IDisposable
{
    public static readonly IPAddress LoopbackSource = IPAddress.Parse("192.0.2.10");
    public static readonly IPAddress LoopbackPeer = IPAddress.Parse("192.0.2.20");
    public static readonly IPAddress LoopbackSourceV6 = IPAddress.Parse("2001:db8::10");
    public static readonly IPAddress LoopbackPeerV6 = IPAddress.Parse("2001:db8::20");
    public static readonly IPAddress SenderAddress = IPAddress.Parse("198.51.100.1");
    public static readonly IPAddress ReceiverAddress = IPAddress.Parse("198.51.100.2");

    /// <summary>SOL_UDP and UDP_SEGMENT from linux/udp.h, for the plain sockets that show what the kernel does.</summary>
    private const int SolUdp = 17;
    private const int UdpSegment = 103;

    private SegmentationLab(NetworkNamespace sender, NetworkNamespace receiver)
    {
        Sender = sender;
        Receiver = receiver;
    }

    /// <summary>Where the ReboundSocket sends from.</summary>
    public NetworkNamespace Sender { get; }

    /// <summary>Where the receivers are: the sender's namespace itself for <see cref="Loopback"/>.</summary>
    public NetworkNamespace Receiver { get; }

    /// <summary>One namespace; <c>lo</c> also holds 192.0.2.10, 192.0.2.20, 2001:db8::10 and 2001:db8::20.</summary>
    public static SegmentationLab Loopback()
    {
        NetworkNamespace ns = NetworkNamespace.Create("gso");
        try
        {
            ns.Ip("addr", "add", $"{LoopbackSource}/32", "dev", "lo");
            ns.Ip("addr", "add", $"{LoopbackPeer}/32", "dev", "lo");
            ns.Ip("addr", "add", $"{LoopbackSourceV6}/128", "dev", "lo", "nodad");
            ns.Ip("addr", "add", $"{LoopbackPeerV6}/128", "dev", "lo", "nodad");
            return new SegmentationLab(ns, ns);
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    /// <summary>Two namespaces and a veth pair between them, both ends with <paramref name="mtu"/>.</summary>
    public static SegmentationLab Veth(int mtu = 1500)
    {
        NetworkNamespace sender = NetworkNamespace.Create("gsos");
        NetworkNamespace? receiver = null;
        try
        {
            receiver = NetworkNamespace.Create("gsor");
            sender.Ip("link", "add", "v0", "type", "veth", "peer", "name", "v1", "netns", receiver.Name);
            sender.Ip("addr", "add", $"{SenderAddress}/24", "dev", "v0");
            receiver.Ip("addr", "add", $"{ReceiverAddress}/24", "dev", "v1");
            string mtuText = mtu.ToString(CultureInfo.InvariantCulture);
            sender.Ip("link", "set", "v0", "mtu", mtuText, "up");
            receiver.Ip("link", "set", "v1", "mtu", mtuText, "up");
            return new SegmentationLab(sender, receiver);
        }
        catch
        {
            receiver?.Dispose();
            sender.Dispose();
            throw;
        }
    }

    /// <summary>A ReboundSocket on 0.0.0.0 (or dual-stack [::]) in the sender's namespace.</summary>
    public ReboundSocket BindSender(bool dualStack = false) =>
        Sender.Run(() => ReboundSocket.Bind(new IPEndPoint(dualStack ? IPAddress.IPv6Any : IPAddress.Any, 0)));

    /// <summary>A plain socket on <paramref name="address"/> in the receiver's namespace.</summary>
    public Socket BindReceiver(IPAddress address) => Receiver.Run(() =>
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(address, 0));
        socket.ReceiveBufferSize = 4 << 20;
        return socket;
    });

    /// <summary>
    /// What a program that uses UDP_SEGMENT itself would do: a plain socket in the sender's namespace (bound to
    /// <paramref name="source"/> when given) whose sends are cut into datagrams of <paramref name="segmentSize"/> bytes.
    /// </summary>
    public Socket NaiveSegmentingSocket(int segmentSize, IPAddress? source = null) => Sender.Run(() =>
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(source ?? IPAddress.Any, 0));
        socket.SetRawSocketOption(SolUdp, UdpSegment, BitConverter.GetBytes(segmentSize));
        return socket;
    });

    /// <summary>
    /// Sends <paramref name="segments"/> datagrams of <paramref name="size"/> bytes to <paramref name="destination"/>
    /// in one message from a <see cref="NaiveSegmentingSocket"/>. Null when the kernel took it, else its refusal.
    /// </summary>
    public static SocketException? SendSegmented(Socket socket, IPEndPoint destination, int size, int segments)
    {
        try
        {
            socket.SendTo(new byte[size * segments], destination);
            return null;
        }
        catch (SocketException e)
        {
            return e;
        }
    }

    /// <summary>
    /// Captures UDP on <paramref name="device"/> in the sender's namespace. With an 8 MB buffer: tcpdump's default
    /// ring in immediate mode drops most of a burst of a few dozen frames ("packets dropped by kernel").
    /// </summary>
    public TcpdumpRecorder Capture(string name, string device) => TcpdumpRecorder.Start(Sender, name, "-i", device, "udp");

    /// <summary>
    /// Datagram <paramref name="index"/> of stream <paramref name="stream"/>: <paramref name="length"/> bytes nobody
    /// else sends, so a lost, repeated, swapped or cut datagram shows.
    /// </summary>
    public static byte[] Payload(int stream, int index, int length)
    {
        byte[] payload = new byte[length];
        for (int i = 0; i < length; i++)
        {
            payload[i] = (byte)((stream * 97) + (index * 31) + i);
        }

        return payload;
    }

    /// <summary>
    /// Receives until <paramref name="expected"/> datagrams came (waiting up to 5 s for each), then takes whatever
    /// else arrives within a short grace, so extra datagrams show too. Returns (sender, payload as hex) in arrival order.
    /// </summary>
    public static List<(IPEndPoint From, string Payload)> ReceiveAll(Socket socket, int expected)
    {
        var received = new List<(IPEndPoint, string)>();
        byte[] buffer = new byte[65536];
        socket.ReceiveTimeout = 5000;
        while (received.Count < expected || socket.Poll(TimeSpan.FromMilliseconds(300), SelectMode.SelectRead))
        {
            EndPoint from = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
            try
            {
                int n = socket.ReceiveFrom(buffer, ref from);
                received.Add(((IPEndPoint)from, Convert.ToHexString(buffer, 0, n)));
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                break;
            }
        }

        return received;
    }

    /// <summary>The payloads as <see cref="ReceiveAll"/> shows them.</summary>
    public static List<string> Hex(IEnumerable<byte[]> payloads) => [.. payloads.Select(p => Convert.ToHexString(p))];

    /// <summary>The UDP length of every frame in <paramref name="pcap"/> from <paramref name="source"/> to port <paramref name="port"/>.</summary>
    public static List<int> UdpFrames(string pcap, IPAddress source, int port) =>
        TcpdumpRecorder.ReadUdpLengths(pcap, $"udp and src host {source} and dst port {port}");

    public void Dispose()
    {
        if (!ReferenceEquals(Receiver, Sender))
        {
            Receiver.Dispose();
        }

        Sender.Dispose();
    }
}
