using System.Net;
using Rebound.Capture;
using Rebound.Cli.Lab;
using Rebound.Cli.Tests.Support;
using Rebound.Lab;

namespace Rebound.Cli.Tests.Core;

public sealed class FieldReportCaptureSmokeTests
{
    [NamespaceFact]
    public void Naive_reply_leaves_from_the_bridge_and_the_container_rejects_it()
    {
        using var topology = FieldReportTopology.Create();
        using LabServer server = topology.Host.Run(() => LabServer.Start(ServerKind.Naive, new IPEndPoint(IPAddress.Any, 0)));
        using PacketCaptureSocket capture = topology.Host.Run(() => PacketCaptureSocket.Open("docker0"));
        using var client = topology.Container.Run(() => UdpClients.Connect(new IPEndPoint(FieldReportTopology.HostEth0V4, server.LocalEndPoint.Port)));

        Assert.Null(UdpClients.Exchange(client, "hello"));

        var packets = new List<DecodedPacket>();
        byte[] buffer = new byte[65536];
        while (capture.TryReceive(buffer, TimeSpan.FromMilliseconds(200), out CapturedFrame frame))
        {
            packets.Add(PacketDecoder.Decode(LinkType.Raw, buffer.AsSpan(0, frame.CapturedLength)));
        }

        Assert.Contains(packets, p => p.Kind == PacketKind.Udp && p.Source!.Equals(FieldReportTopology.BridgeV4) && p.SourcePort == server.LocalEndPoint.Port);
        Assert.Contains(packets, p => p.Kind == PacketKind.PortUnreachable && p.QuotedSource!.Equals(FieldReportTopology.BridgeV4));
    }
}
