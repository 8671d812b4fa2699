using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Rebound.Tests.Support;

namespace Rebound.Tests;

/// <summary>
/// The "Rebound" meter through a real <see cref="MeterListener"/>: batch traffic, drops by reason, and kernel
/// receive-queue overflows (sk_drops, read with SO_MEMINFO) provoked for real. Counters are process-wide and other tests run at the same
/// time, so each check is "moved by at least".
/// </summary>
public sealed class ServerMetricsTests
{
    [Fact]
    public void Received_sent_dropped_by_reason_and_kernel_drops_move()
    {
        using var meter = new MeterReader();
        long received = meter.Read("rebound.datagrams.received");
        long sent = meter.Read("rebound.datagrams.sent");
        long handlerErrors = meter.Read("rebound.datagrams.dropped", "error.type", "handler_error");
        long truncated = meter.Read("rebound.datagrams.dropped", "error.type", "truncated");

        using (ReboundServer server = ReboundServer.Start(
            "127.0.0.1:0",
            (request, reply, in datagram) => request[0] == (byte)'!' ? throw new InvalidOperationException("bad") : 0,
            new ReboundServerOptions { SocketCount = 1, BufferSize = 8 }))
        {
            using Socket client = Loopback.Client("127.0.0.1", "127.0.0.1", server.LocalEndPoint.Port);
            client.Send("!"u8);
            client.Send("longer than eight bytes"u8);
            client.Send("ok"u8);
            SpinWait.SpinUntil(() => server.Statistics.Received == 3, TimeSpan.FromSeconds(2));
        }

        Assert.True(meter.Read("rebound.datagrams.received") >= received + 3);
        Assert.True(meter.Read("rebound.datagrams.dropped", "error.type", "handler_error") >= handlerErrors + 1);
        Assert.True(meter.Read("rebound.datagrams.dropped", "error.type", "truncated") >= truncated + 1);

        long kernelDrops = meter.Read("rebound.kernel.receive_queue_drops");
        using (ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0), new ReboundSocketOptions { ReceiveBufferSize = 1 }))
        {
            // The smallest receive queue holds a few datagrams; the kernel drops the rest and counts them (sk_drops).
            using Socket client = Loopback.Client("127.0.0.1", "127.0.0.1", server.LocalEndPoint.Port);
            var payload = new byte[1000];
            for (int i = 0; i < 50; i++)
            {
                client.Send(payload);
            }

            using var batch = new DatagramBatch(64, 1024);
            while (server.TryReceiveBatch(batch) > 0)
            {
                // Drain what fitted; those were queued before the drops, so they report none.
            }

            client.Send("x"u8);
            Loopback.WaitReadable(server.Socket);
            Assert.Equal(1, server.TryReceiveBatch(batch));
            Assert.True(server.Statistics.KernelDrops > 0);
            Assert.True(meter.Read("rebound.kernel.receive_queue_drops") >= kernelDrops + server.Statistics.KernelDrops);
            batch.SetReply(0, "y"u8);
            Assert.Equal(1, server.ReplyBatch(batch));
        }

        Assert.True(meter.Read("rebound.datagrams.sent") >= sent + 1);
    }

    /// <summary>Collects the observable counters on demand, summing measurements per instrument (and one tag).</summary>
    private sealed class MeterReader : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<(string Name, KeyValuePair<string, object?>[] Tags, long Value)> _measurements = [];

        public MeterReader()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == ReboundMetrics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => _measurements.Add((instrument.Name, tags.ToArray(), value)));
            _listener.Start();
        }

        public long Read(string name, string? tag = null, string? value = null)
        {
            _measurements.Clear();
            _listener.RecordObservableInstruments();
            return _measurements
                .Where(m => m.Name == name && (tag is null || m.Tags.Any(t => t.Key == tag && Equals(t.Value, value))))
                .Sum(m => m.Value);
        }

        public void Dispose() => _listener.Dispose();
    }
}
