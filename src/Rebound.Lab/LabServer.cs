using System.Net;
using System.Net.Sockets;

namespace Rebound.Lab;

/// <summary>Which server a lab row puts on the host.</summary>
public enum ServerKind
{
    /// <summary>recvfrom/sendto: the kernel picks the reply's source from the route (the bug).</summary>
    Naive,

    /// <summary>A <see cref="ReboundSocket"/>: the reply leaves from the request's destination address.</summary>
    Rebound,

    /// <summary>A plain TCP echo server: a connection has one address pair, so the question never arises.</summary>
    Tcp,
}

/// <summary>
/// An echo server on a background thread, for the lab's rows. Create it inside <c>NetworkNamespace.Run</c>: the socket
/// stays in that namespace while the thread serves from anywhere. Disposing closes the socket and ends the thread.
/// </summary>
public sealed class LabServer : IDisposable
{
    private readonly IDisposable _owner;
    private readonly Thread _thread;

    private LabServer(Socket socket, IDisposable owner, ServerKind kind, Action loop)
    {
        _owner = owner;
        Kind = kind;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _thread = new Thread(() => Serve(loop)) { IsBackground = true, Name = $"lab {kind} server" };
        _thread.Start();
    }

    public ServerKind Kind { get; }

    public IPEndPoint LocalEndPoint { get; }

    private readonly List<string> _refusals = [];

    /// <summary>Replies the Rebound server refused to send, with the reason (never silently dropped).</summary>
    public IReadOnlyList<string> Refusals
    {
        get
        {
            lock (_refusals)
            {
                return [.. _refusals];
            }
        }
    }

    /// <summary>Binds <paramref name="bindTo"/> (port 0 picks a free one) and starts serving.</summary>
    public static LabServer Start(ServerKind kind, IPEndPoint bindTo, bool dualStack = true) => kind switch
    {
        ServerKind.Naive => StartNaive(bindTo, dualStack),
        ServerKind.Rebound => StartRebound(bindTo, dualStack),
        _ => StartTcp(bindTo),
    };

    private static LabServer StartNaive(IPEndPoint bindTo, bool dualStack)
    {
        Socket socket = NaiveUdpSocket.Bind(bindTo, dualStack);

        return new LabServer(socket, socket, ServerKind.Naive, () =>
        {
            byte[] buffer = new byte[2048];
            EndPoint remote = new IPEndPoint(bindTo.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
            while (true)
            {
                int length = socket.ReceiveFrom(buffer, ref remote);
                try
                {
                    socket.SendTo(buffer.AsSpan(0, length), remote);
                }
                catch (SocketException) when (!IsClosed(socket))
                {
                    // A refused reply (no route, a firewall) costs that reply, not the server.
                }
            }
        });
    }

    private static LabServer StartRebound(IPEndPoint bindTo, bool dualStack)
    {
        ReboundSocket socket = ReboundSocket.Bind(bindTo, new ReboundSocketOptions { DualStack = dualStack });
        LabServer? server = null;
        server = new LabServer(socket.Socket, socket, ServerKind.Rebound, () =>
        {
            byte[] buffer = new byte[2048];
            while (true)
            {
                ReceivedDatagram request = socket.Receive(buffer);
                if (!request.CanReply)
                {
                    server!.Refuse($"not answering {request.RemoteEndPoint}: {request.Unanswerable.Describe()}");
                    continue;
                }

                try
                {
                    socket.Reply(request, buffer.AsSpan(0, request.Length));
                }
                catch (SocketException e) when (!IsClosed(socket.Socket))
                {
                    // The source vanished, or no route or a firewall refused the reply: that reply only.
                    server!.Refuse(e.Message);
                }
            }
        });
        return server;
    }

    private static LabServer StartTcp(IPEndPoint bindTo)
    {
        var listener = new Socket(bindTo.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(bindTo);
            listener.Listen(4);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        return new LabServer(listener, listener, ServerKind.Tcp, () =>
        {
            byte[] buffer = new byte[2048];
            while (true)
            {
                using Socket connection = listener.Accept();
                int length;
                while ((length = connection.Receive(buffer)) > 0)
                {
                    connection.Send(buffer.AsSpan(0, length));
                }
            }
        });
    }

    private void Refuse(string reason)
    {
        lock (_refusals)
        {
            _refusals.Add(reason);
        }
    }

    private static bool IsClosed(Socket socket) => socket.SafeHandle.IsClosed;

    private static void Serve(Action loop)
    {
        try
        {
            loop();
        }
        catch (ObjectDisposedException)
        {
            // Disposed: the row is over.
        }
        catch (SocketException)
        {
            // The socket was closed under the blocking call: the row is over.
        }
    }

    public void Dispose()
    {
        _owner.Dispose();
        _thread.Join(TimeSpan.FromSeconds(2));
    }
}
