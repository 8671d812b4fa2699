using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace Rebound.Tests.Hostile;

/// <summary>Issue 11 item 11: a reply racing with Dispose ends in ObjectDisposedException, never in an EPIPE SocketException.</summary>
public sealed class DisposeRaceTests(ITestOutputHelper output)
{
    private const int Rounds = 300;

    [Fact]
    public void The_shutdown_the_runtime_does_in_Dispose_makes_sends_fail_with_EPIPE()
    {
        // The mechanism: Socket.Dispose shuts the descriptor down before closing it, and a send in between gets EPIPE.
        using ReboundSocket socket = ReboundSocket.Bind("127.0.0.1:0");
        try
        {
            socket.Socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // ENOTCONN on an unconnected UDP socket; Linux still marks it shut down.
        }

        SocketException e = Assert.Throws<SocketException>(() => socket.SendFrom(IPAddress.Loopback, socket.LocalEndPoint, "x"u8));
        Assert.Contains("errno 32", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sends_racing_with_Dispose_while_a_receive_waits_only_ever_throw_ObjectDisposedException()
    {
        int disposedErrors = 0;
        var others = new List<string>();
        var destination = new IPEndPoint(IPAddress.Loopback, 9);
        for (int round = 0; round < Rounds; round++)
        {
            ReboundSocket socket = ReboundSocket.Bind("127.0.0.1:0");

            // A receive blocked on another thread holds the handle open while Dispose shuts it down, as in a server.
            var receiver = new Thread(() =>
            {
                try
                {
                    socket.Receive(new byte[64]);
                }
                catch (Exception)
                {
                }
            });
            receiver.Start();
            using var started = new ManualResetEventSlim();
            var sender = new Thread(() =>
            {
                started.Set();
                try
                {
                    for (int i = 0; i < 100_000; i++)
                    {
                        socket.SendFrom(IPAddress.Loopback, destination, "x"u8);
                    }
                }
                catch (ObjectDisposedException)
                {
                    Interlocked.Increment(ref disposedErrors);
                }
                catch (Exception e)
                {
                    lock (others)
                    {
                        others.Add(e.Message);
                    }
                }
            });
            sender.Start();
            started.Wait();
            Thread.SpinWait(round % 200);
            socket.Dispose();
            sender.Join();
            receiver.Join();
        }

        output.WriteLine($"{Rounds} sends racing with Dispose: {disposedErrors} ObjectDisposedException, {others.Count} other exceptions");
        Assert.Empty(others);
    }
}
