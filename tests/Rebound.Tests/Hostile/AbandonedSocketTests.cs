using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Xunit.Abstractions;

namespace Rebound.Tests.Hostile;

/// <summary>Issue 11 item 9: an undisposed ReboundSocket is collected and its descriptor closed, like a plain Socket.</summary>
[Collection(nameof(DescriptorCounting))]
public sealed class AbandonedSocketTests(ITestOutputHelper output)
{
    private const int Abandoned = 2000;

    /// <summary>Other tests open sockets at the same time; a leak would show as all 2000.</summary>
    private const int Tolerance = 200;

    [Fact]
    public void Two_thousand_abandoned_sockets_leave_the_descriptor_count_flat_after_a_GC_as_plain_sockets_do()
    {
        int before = OpenDescriptors();
        AbandonPlainSockets();
        int plain = OpenDescriptors() - before;

        before = OpenDescriptors();
        AbandonReboundSockets();
        int rebound = OpenDescriptors() - before;

        output.WriteLine($"descriptors still open after {Abandoned} abandoned sockets and a GC: plain Socket {plain}, ReboundSocket {rebound}");
        Assert.InRange(plain, int.MinValue, Tolerance);
        Assert.InRange(rebound, int.MinValue, Tolerance);
    }

    [Fact]
    public void An_abandoned_sockets_counters_stay_in_the_metrics_after_it_is_collected()
    {
        long sentBefore = ReadMeter("rebound.datagrams.sent");
        SendOneAndAbandon();
        Collect();
        Assert.True(ReadMeter("rebound.datagrams.sent") >= sentBefore + 1);
    }

    private static long ReadMeter(string name)
    {
        long total = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ReboundMetrics.MeterName && instrument.Name == name)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref total, value));
        listener.Start();
        listener.RecordObservableInstruments();
        return Interlocked.Read(ref total);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SendOneAndAbandon()
    {
        ReboundSocket socket = ReboundSocket.Bind("127.0.0.1:0");
        socket.SendFrom(IPAddress.Loopback, socket.LocalEndPoint, "x"u8);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AbandonPlainSockets()
    {
        for (int i = 0; i < Abandoned; i++)
        {
            new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp).Bind(new IPEndPoint(IPAddress.Loopback, 0));
        }

        Collect();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AbandonReboundSockets()
    {
        for (int i = 0; i < Abandoned; i++)
        {
            _ = ReboundSocket.Bind("127.0.0.1:0");
        }

        Collect();
    }

    private static void Collect()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    private static int OpenDescriptors() => Directory.GetFiles("/proc/self/fd").Length;
}

/// <summary>Tests that count this process's descriptors run apart from each other.</summary>
[CollectionDefinition(nameof(DescriptorCounting))]
public sealed class DescriptorCounting;
