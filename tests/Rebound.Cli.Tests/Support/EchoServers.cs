using System.Net;
using System.Net.Sockets;

namespace Rebound.Cli.Tests.Support;

/// <summary>
/// The two servers every fix test compares, run on background threads: a naive one (recvfrom/sendto, the kernel picks
/// the source) and a Rebound one (reply from the request's destination). Create them inside <c>NetworkNamespace.Run</c>
/// to serve in a namespace.
/// </summary>
internal sealed class EchoServer : IDisposable
{
    private readonly IDisposable _socket;
    private readonly Thread _thread;

    private EchoServer(IDisposable socket, IPEndPoint local, Action loop)
    {
        _socket = socket;
        LocalEndPoint = local;
        _thread = new Thread(() =>
        {
            try
            {
                loop();
            }
            catch (ObjectDisposedException)
            {
            }
            catch (SocketException)
            {
            }
        })
        { IsBackground = true };
        _thread.Start();
    }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Errors the Rebound server caught while replying (e.g. a vanished source address).</summary>
    public List<Exception> ReplyErrors { get; } = [];

    public static EchoServer Naive(IPEndPoint bindTo, bool dualStack = true)
    {
        var socket = new Socket(bindTo.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (bindTo.AddressFamily == AddressFamily.InterNetworkV6)
        {
            socket.DualMode = dualStack;
        }

        socket.Bind(bindTo);
        return new EchoServer(socket, (IPEndPoint)socket.LocalEndPoint!, () =>
        {
            byte[] buffer = new byte[2048];
            EndPoint remote = new IPEndPoint(bindTo.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
            while (true)
            {
                int n = socket.ReceiveFrom(buffer, ref remote);
                socket.SendTo(buffer.AsSpan(0, n), remote);
            }
        });
    }

    public static EchoServer Rebound(IPEndPoint bindTo, bool dualStack = true)
    {
        var socket = ReboundSocket.Bind(bindTo, new ReboundSocketOptions { DualStack = dualStack });
        EchoServer? server = null;
        server = new EchoServer(socket, socket.LocalEndPoint, () =>
        {
            byte[] buffer = new byte[2048];
            while (true)
            {
                ReceivedDatagram request = socket.Receive(buffer);
                try
                {
                    socket.Reply(request, buffer.AsSpan(0, request.Length));
                }
                catch (SourceAddressUnavailableException e)
                {
                    lock (server!.ReplyErrors)
                    {
                        server.ReplyErrors.Add(e);
                    }
                }
            }
        });
        return server;
    }

    public void Dispose()
    {
        _socket.Dispose();
        _thread.Join(TimeSpan.FromSeconds(2));
    }
}
