using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using static Rebound.Tests.Sockets.LoopbackPeers;

namespace Rebound.Tests.Sockets;

public sealed class MetricsTests
{
    [Fact]
    public void A_meter_listener_sees_received_and_sent_counters_move()
    {
        var totals = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ReboundMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            lock (totals)
            {
                totals[instrument.Name] = totals.GetValueOrDefault(instrument.Name) + value;
            }
        });
        listener.Start();

        long Read(string name)
        {
            lock (totals)
            {
                totals.Clear();
            }

            listener.RecordObservableInstruments();
            lock (totals)
            {
                return totals.GetValueOrDefault(name);
            }
        }

        long receivedBefore = Read("rebound.datagrams.received");
        long sentBefore = Read("rebound.datagrams.sent");
        using (ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Any, 0)))
        {
            using Socket client = ConnectedClient(AskedAddress, server.LocalEndPoint.Port);
            byte[] buffer = new byte[100];
            client.Send("m"u8);
            ReceivedDatagram request = server.Receive(buffer);
            server.Reply(request, buffer.AsSpan(0, 1));
        }

        // The socket is disposed: its counts must stay in the totals (counters are monotonic).
        Assert.True(Read("rebound.datagrams.received") >= receivedBefore + 1);
        Assert.True(Read("rebound.datagrams.sent") >= sentBefore + 1);
    }

    [Fact]
    public void Kernel_drops_are_reported_without_any_per_datagram_control_message()
    {
        using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0), new ReboundSocketOptions { ReceiveBufferSize = 1 });
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Connect(server.LocalEndPoint);

        Assert.Equal(0, server.Statistics.KernelDrops);
        for (int i = 0; i < 50; i++)
        {
            client.Send(new byte[1000]);   // nobody receives: the tiny queue overflows
        }

        Assert.True(server.Statistics.KernelDrops > 0, "the kernel's drop counter was not read");
    }
}
