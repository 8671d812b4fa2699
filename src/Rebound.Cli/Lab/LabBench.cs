using System.Net;
using System.Net.Sockets;
using System.Text;
using Rebound.Capture;
using Rebound.Cli.Infrastructure;
using Rebound.Interop;
using Rebound.Lab;

namespace Rebound.Cli.Lab;

/// <summary>How one UDP row is set up: which server, bound where, which address the client asks, and what else runs.</summary>
internal sealed record UdpRow(ServerKind Server, IPEndPoint BindTo, IPAddress Target)
{
    /// <summary>For a [::] server: accept IPv4 too (V6ONLY=0), as the report's application does.</summary>
    public bool DualStack { get; init; } = true;

    /// <summary>iptables rules to add in the host namespace once the server's port is known (removed after the row).</summary>
    public Func<int, IReadOnlyList<string[]>>? Rules { get; init; }

    /// <summary>Reads more evidence after the exchange (conntrack) into the observation.</summary>
    public Action<LabBench, LabObservation, int>? Inspect { get; init; }

    /// <summary>The client is the remote one behind the host's second uplink instead of the container.</summary>
    public bool ViaSecondUplink { get; init; }

    /// <summary>
    /// The server listens on 127.0.0.1 only and the client reaches it through <c>rebound proxy</c>, whose front is
    /// <see cref="BindTo"/>: the fix for services that cannot be changed.
    /// </summary>
    public bool BehindProxy { get; init; }
}

/// <summary>
/// The lab's workbench: one field-report topology reused by every row. A row starts a server in the host namespace,
/// opens a capture on the container's bridge port, lets a connected client send "hello" then "hi", and returns what was received and captured.
/// Each row uses fresh ports, and netfilter state is reset after rows that change it.
/// </summary>
internal sealed class LabBench : IDisposable
{
    /// <summary>What the client sends, in order, expecting each echoed back.</summary>
    public static readonly IReadOnlyList<string> Messages = ["hello", "hi"];

    private const byte TcpProtocol = 6;
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan CaptureQuiet = TimeSpan.FromMilliseconds(60);

    private LabBench(FieldReportTopology topology)
    {
        Topology = topology;
        ContainerPortIndex = topology.Host.InterfaceIndex("vethc");
    }

    public FieldReportTopology Topology { get; }

    /// <summary>
    /// The bridge port facing the container (vethc), where rows capture: it shows packets as the container sends and
    /// receives them. docker0 sees the same packets, but incoming ones after bridge netfilter (br_netfilter) may have
    /// undone NAT in them already.
    /// </summary>
    public int ContainerPortIndex { get; }

    /// <summary>Builds the topology (root and iproute2 needed); deletes it again if the bench cannot be set up.</summary>
    public static LabBench Create()
    {
        FieldReportTopology topology = FieldReportTopology.Create();
        try
        {
            return new LabBench(topology);
        }
        catch
        {
            topology.Dispose();
            throw;
        }
    }

    /// <summary>Runs one UDP row.</summary>
    public LabObservation RunUdp(UdpRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (row.ViaSecondUplink)
        {
            Topology.AddSecondUplink();
        }

        NetworkNamespace host = Topology.Host;
        using LabServer server = host.Run(() => LabServer.Start(row.Server, row.BehindProxy ? new IPEndPoint(IPAddress.Loopback, 0) : row.BindTo, row.DualStack));
        using LabProxy? proxy = row.BehindProxy ? host.Run(() => LabProxy.Start(row.BindTo, server.LocalEndPoint)) : null;
        int port = proxy?.Port ?? server.LocalEndPoint.Port;
        var commands = new List<string>();
        if (proxy is not null)
        {
            commands.Add($"rebound proxy --listen {new IPEndPoint(row.BindTo.Address, port)} --to {server.LocalEndPoint}");
        }

        try
        {
            foreach (string[] rule in row.Rules?.Invoke(port) ?? [])
            {
                commands.Add(Netfilter.Apply(host, rule));
            }

            var target = new IPEndPoint(row.Target, port);
            NetworkNamespace clientSide = row.ViaSecondUplink ? Topology.Lan : Topology.Container;
            IPEndPoint? bindClient = row.ViaSecondUplink ? new IPEndPoint(FieldReportTopology.RemoteClientV4, 0) : null;
            int captureOn = row.ViaSecondUplink ? 0 : ContainerPortIndex;

            using PacketCaptureSocket capture = host.Run(() => PacketCaptureSocket.Open(captureOn));
            using Socket client = clientSide.Run(() => Connect(SocketType.Dgram, ProtocolType.Udp, target, bindClient));
            var clientEndPoint = (IPEndPoint)client.LocalEndPoint!;
            List<ClientMessage> messages = [.. Messages.Select(text => ExchangeDatagram(client, text))];
            List<CapturedPacket> packets = Drain(capture, p => InvolvesUdpPort(p, clientEndPoint.Port));

            var observation = new LabObservation("UDP", target, clientEndPoint, messages, packets) { ServerRefusals = server.Refusals };
            observation.Commands.AddRange(commands);
            row.Inspect?.Invoke(this, observation, port);
            return observation;
        }
        finally
        {
            if (row.Rules is not null)
            {
                Netfilter.Reset(host);
            }
        }
    }

    /// <summary>Runs the TCP row: a plain TCP echo server on <paramref name="bindTo"/>, the client asking <paramref name="target"/>.</summary>
    public LabObservation RunTcp(IPEndPoint bindTo, IPAddress target)
    {
        using LabServer server = Topology.Host.Run(() => LabServer.Start(ServerKind.Tcp, bindTo));
        var targetEndPoint = new IPEndPoint(target, server.LocalEndPoint.Port);
        using PacketCaptureSocket capture = Topology.Host.Run(() => PacketCaptureSocket.Open(ContainerPortIndex));
        IPEndPoint clientEndPoint;
        List<ClientMessage> messages;
        using (Socket client = Topology.Container.Run(() => Connect(SocketType.Stream, ProtocolType.Tcp, targetEndPoint, null)))
        {
            clientEndPoint = (IPEndPoint)client.LocalEndPoint!;
            messages = [.. Messages.Select(text => ExchangeStream(client, text))];
            client.Shutdown(SocketShutdown.Both);
        }

        List<CapturedPacket> packets = Drain(capture, p => p.Kind == PacketKind.Other && p.Protocol == TcpProtocol &&
            (Equals(p.Source, clientEndPoint.Address) || Equals(p.Destination, clientEndPoint.Address)));
        return new LabObservation("TCP", targetEndPoint, clientEndPoint, messages, packets);
    }

    /// <summary>UDP flows conntrack holds in the host namespace.</summary>
    public IReadOnlyList<ConntrackEntry> HostFlows() => Netfilter.UdpFlows(Topology.Host);

    private static Socket Connect(SocketType type, ProtocolType protocol, IPEndPoint target, IPEndPoint? bindTo)
    {
        var socket = new Socket(target.AddressFamily, type, protocol) { ReceiveTimeout = (int)ReplyTimeout.TotalMilliseconds };
        try
        {
            if (bindTo is not null)
            {
                socket.Bind(bindTo);
            }

            socket.Connect(target);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends <paramref name="text"/> on a connected UDP socket and waits for the reply (null: none came in time).</summary>
    internal static ClientMessage ExchangeDatagram(Socket client, string text)
    {
        client.Send(Encoding.ASCII.GetBytes(text));
        byte[] buffer = new byte[2048];
        try
        {
            int length = client.Receive(buffer);
            return new ClientMessage(text, Encoding.ASCII.GetString(buffer, 0, length));
        }
        catch (SocketException)
        {
            // Timed out (the reply never came, or came from an address the connected socket rejects).
            return new ClientMessage(text, null);
        }
    }

    private static ClientMessage ExchangeStream(Socket client, string text)
    {
        byte[] payload = Encoding.ASCII.GetBytes(text);
        client.Send(payload);
        byte[] buffer = new byte[payload.Length];
        int received = 0;
        try
        {
            while (received < buffer.Length)
            {
                int length = client.Receive(buffer, received, buffer.Length - received, SocketFlags.None);
                if (length == 0)
                {
                    break;
                }

                received += length;
            }
        }
        catch (SocketException)
        {
            // Timed out or reset: report what arrived.
        }

        return new ClientMessage(text, received == 0 ? null : Encoding.ASCII.GetString(buffer, 0, received));
    }

    /// <summary>Reads the capture until it has been quiet for a moment; keeps the row's packets, named by interface when several were watched.</summary>
    private List<CapturedPacket> Drain(PacketCaptureSocket capture, Func<DecodedPacket, bool> belongsToRow)
    {
        var packets = new List<(DecodedPacket Packet, int Interface)>();
        byte[] buffer = new byte[65536];
        while (capture.TryReceive(buffer, CaptureQuiet, out CapturedFrame frame))
        {
            DecodedPacket packet = PacketDecoder.Decode(LinkType.Raw, buffer.AsSpan(0, frame.CapturedLength));
            if (belongsToRow(packet))
            {
                packets.Add((packet, frame.InterfaceIndex));
            }
        }

        if (capture.InterfaceIndex != 0)
        {
            return [.. packets.Select(p => new CapturedPacket(p.Packet, ""))];
        }

        Dictionary<int, string> names = Topology.Host.Run(() => packets.Select(p => p.Interface).Distinct()
            .ToDictionary(index => index, index => InterfaceNames.NameOf(index) ?? $"if{index}"));
        return [.. packets.Select(p => new CapturedPacket(p.Packet, names[p.Interface]))];
    }

    private static bool InvolvesUdpPort(DecodedPacket packet, int port) => packet.Kind switch
    {
        PacketKind.Udp => packet.SourcePort == port || packet.DestinationPort == port,
        PacketKind.PortUnreachable => packet.QuotedSourcePort == port || packet.QuotedDestinationPort == port,
        _ => false,
    };

    /// <summary>Deletes the topology.</summary>
    public void Dispose() => Topology.Dispose();
}
