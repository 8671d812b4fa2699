using System.Net;
using System.Net.Sockets;
using DnsResponder.Dns;
using Rebound;
using Rebound.Lab;

namespace DnsResponder.Tests.Support;

/// <summary>
/// The responder serving <see cref="TestZone"/> in-process on sockets bound inside a network namespace (they stay
/// there whatever thread serves them), in any <see cref="ServeMode"/>. <see cref="Dispose"/> stops it.
/// </summary>
internal sealed class RunningResponder : IDisposable
{
    private readonly IDisposable _resource;
    private readonly Thread? _thread;
    private readonly ServeCounters _counters = new();
    private readonly ReboundServer? _server;

    private RunningResponder(IDisposable resource, Action<ServeCounters>? serve)
    {
        _resource = resource;
        _server = resource as ReboundServer;
        if (serve is not null)
        {
            _thread = new Thread(() => serve(_counters)) { IsBackground = true, Name = "dns responder" };
            _thread.Start();
        }
    }

    /// <summary>Replies sent so far (for the naive loop: handed to sendto, wherever they went).</summary>
    public long Answered => _server?.Statistics.Sent ?? Interlocked.Read(ref _counters.Answered);

    public static RunningResponder Start(NetworkNamespace ns, ServeMode mode, string listen = "[::]:53")
    {
        var responder = new AuthoritativeResponder(TestZone.Create());
        IPEndPoint endPoint = IPEndPoint.Parse(listen);
        switch (mode)
        {
            case ServeMode.Naive:
                Socket socket = ns.Run(() => ResponderLoop.BindNaive(endPoint));
                return new RunningResponder(socket, counters => ResponderLoop.RunNaive(socket, responder, counters));
            case ServeMode.SingleSocket:
                ReboundSocket rebound = ns.Run(() => ReboundSocket.Bind(endPoint));
                return new RunningResponder(rebound, counters => ResponderLoop.Run(rebound, responder, counters, Console.Error));
            default:
                ReboundServer server = ns.Run(() => ReboundServer.Start(
                    endPoint, (ReadOnlySpan<byte> request, Span<byte> reply, in ReceivedDatagram _) => responder.Respond(request, reply),
                    new ReboundServerOptions { SocketCount = 2 }));
                return new RunningResponder(server, null);
        }
    }

    public void Dispose()
    {
        _resource.Dispose();
        _thread?.Join(TimeSpan.FromSeconds(5));
    }
}
