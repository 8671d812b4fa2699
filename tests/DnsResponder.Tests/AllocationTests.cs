using System.Net;
using System.Net.Sockets;
using DnsResponder.Dns;
using DnsResponder.Tests.Support;
using Rebound;

namespace DnsResponder.Tests;

/// <summary>Answering a query allocates nothing once warm: in the responder, and in the whole socket loop.</summary>
public sealed class AllocationTests
{
    private static readonly byte[][] Mix =
    [
        .. DigQueries.All,
        QueryBuilder.Build("nope.example.test"), // NXDOMAIN + SOA
        QueryBuilder.Build("www.example.org"), // REFUSED
        QueryBuilder.Build(TestZone.ManyName), // TC
        QueryBuilder.Build("www.example.test", ednsSize: 1232, ednsVersion: 1), // BADVERS
        [.. QueryBuilder.Build("www.example.test"), 0], // FORMERR
        new byte[5], // dropped
    ];

    [Fact]
    public void The_responder_allocates_nothing_per_query()
    {
        AuthoritativeResponder responder = TestZone.Responder();
        byte[] reply = new byte[1232];
        int total = 0;
        for (int i = 0; i < 2_000; i++)
        {
            total += responder.Respond(Mix[i % Mix.Length], reply);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50_000; i++)
        {
            total += responder.Respond(Mix[i % Mix.Length], reply);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(total > 0);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void The_rebound_socket_loop_allocates_nothing_per_query()
    {
        using ReboundSocket server = ReboundSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        const int WarmUp = 2_000, Measured = 20_000, Short = 1_000;
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
        client.Connect(server.LocalEndPoint);
        int replies = 0;
        var clientThread = new Thread(() =>
        {
            byte[] buffer = new byte[1232];
            try
            {
                for (int i = 0; i < WarmUp + Measured; i++)
                {
                    byte[] query = Mix[i % (Mix.Length - 1)]; // not the runt: every query gets a reply
                    client.Send(query);
                    client.Receive(buffer);
                    replies++;
                }
            }
            catch (SocketException)
            {
                // the assertion on the count below reports it
            }
        });
        clientThread.Start();

        // Each run allocates its two buffers once; the per-query cost is the difference between a short and a long run.
        var counters = new ServeCounters();
        AuthoritativeResponder responder = TestZone.Responder();
        ResponderLoop.Run(server, responder, counters, TextWriter.Null, WarmUp);
        long before = GC.GetAllocatedBytesForCurrentThread();
        ResponderLoop.Run(server, responder, counters, TextWriter.Null, Short);
        long shortRun = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        ResponderLoop.Run(server, responder, counters, TextWriter.Null, Measured - Short);
        long longRun = GC.GetAllocatedBytesForCurrentThread() - before;
        clientThread.Join();

        Assert.Equal(WarmUp + Measured, replies);
        Assert.Equal(WarmUp + Measured, counters.Answered);
        // 19 times the queries, the same bytes (a one-off runtime allocation of a few dozen bytes is tolerated; 1 byte per query is not).
        Assert.True(longRun <= shortRun + 256, $"{Short} queries: {shortRun} bytes; {Measured - Short} queries: {longRun} bytes");
    }
}
