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

    private RunningResponder(IDisposable socket, Action serve)
    {
        _socket = socket;
        _thread = new Thread(() => serve()) { IsBackground = true, Name = "dns responder" };
        _thread.Start();
    }

    /// <summary>What the loop has done so far.</summary>
    public ServeCounters Counters { get; } = new();

    public static RunningResponder Start(NetworkNamespace ns, bool naive, string listen = "[::]:53")
    {
        var responder = new AuthoritativeResponder(TestZone.Create());
        IPEndPoint endPoint = IPEndPoint.Parse(listen);
        RunningResponder? running = null;
        if (naive)
        {
            Socket socket = ns.Run(() => ResponderLoop.BindNaive(endPoint));
            running = new RunningResponder(socket, () => ResponderLoop.RunNaive(socket, responder, running!.Counters));
        }
        else
        {
            ReboundSocket socket = ns.Run(() => ReboundSocket.Bind(endPoint));
            running = new RunningResponder(socket, () => ResponderLoop.Run(socket, responder, running!.Counters, Console.Error));
        }

        return running;
    }

    public void Dispose()
    {
        _socket.Dispose();
        _thread.Join(TimeSpan.FromSeconds(5));
    }
}
