using System.Net;
using System.Net.Sockets;
using DnsResponder.Dns;
using Rebound;
using Rebound.Cli.Namespaces;

namespace DnsResponder.Tests.Support;

/// <summary>
/// The responder serving <see cref="TestZone"/> in-process on a socket bound inside a network namespace (the socket
/// stays there; the loop runs on a thread of its own). Rebound mode or naive mode; <see cref="Dispose"/> stops it.
/// </summary>
internal sealed class RunningResponder : IDisposable
{
    private readonly IDisposable _socket;
    private readonly Thread _thread;

    private RunningResponder(IDisposable socket, ServeCounters counters, Action serve)
    {
        _socket = socket;
        Counters = counters;
        _thread = new Thread(() => serve()) { IsBackground = true, Name = "dns responder" };
        _thread.Start();
    }

    /// <summary>What the loop has done so far.</summary>
    public ServeCounters Counters { get; }

    public static RunningResponder Start(NetworkNamespace ns, bool naive, string listen = "[::]:53")
    {
        var responder = new AuthoritativeResponder(TestZone.Create());
        IPEndPoint endPoint = IPEndPoint.Parse(listen);
        var counters = new ServeCounters();
        if (naive)
        {
            Socket socket = ns.Run(() => ResponderLoop.BindNaive(endPoint));
            return new RunningResponder(socket, counters, () => ResponderLoop.RunNaive(socket, responder, counters));
        }

        ReboundSocket rebound = ns.Run(() => ReboundSocket.Bind(endPoint));
        return new RunningResponder(rebound, counters, () => ResponderLoop.Run(rebound, responder, counters, Console.Error));
    }

    public void Dispose()
    {
        _socket.Dispose();
        _thread.Join(TimeSpan.FromSeconds(5));
    }
}
