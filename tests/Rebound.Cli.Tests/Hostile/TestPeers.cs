using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Rebound.Cli.Tests.Hostile;

/// <summary>
/// A backend that answers anything, as many UDP services do: every datagram goes back to its sender, after
/// <c>delay</c> (replies are scheduled, not serialised, so many can be in flight). Counts what it received.
/// </summary>
internal sealed class AnsweringBackend : IDisposable
{
    private readonly Socket _socket;
    private readonly TimeSpan _delay;
    private readonly BlockingCollection<(long Due, byte[] Payload, EndPoint To)> _pending = [];
    private readonly Thread _receiver;
    private readonly Thread _sender;
    private long _received;

    public AnsweringBackend(IPEndPoint bind, TimeSpan delay = default)
    {
        _delay = delay;
        _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(bind);
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _receiver = new Thread(Receive) { IsBackground = true, Name = "answering-backend" };
        _sender = new Thread(Send) { IsBackground = true, Name = "answering-backend-send" };
        _receiver.Start();
        _sender.Start();
    }

    public IPEndPoint EndPoint { get; }

    public long Received => Interlocked.Read(ref _received);

    /// <summary>Sends from the backend's own address and port: what a datagram spoofed from the backend looks like.</summary>
    public void SendFromBackend(IPEndPoint to, ReadOnlySpan<byte> payload) => _socket.SendTo(payload, to);

    private void Receive()
    {
        var buffer = new byte[2048];
        try
        {
            while (true)
            {
                EndPoint from = new IPEndPoint(EndPoint.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
                int n = _socket.ReceiveFrom(buffer, ref from);
                Interlocked.Increment(ref _received);
                _pending.Add((Environment.TickCount64 + (long)_delay.TotalMilliseconds, buffer[..n], from));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }

    private void Send()
    {
        try
        {
            foreach ((long due, byte[] payload, EndPoint to) in _pending.GetConsumingEnumerable())
            {
                long wait = due - Environment.TickCount64;
                if (wait > 0)
                {
                    Thread.Sleep((int)wait);
                }

                try
                {
                    _socket.SendTo(payload, to);
                }
                catch (SocketException)
                {
                }
            }
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _pending.CompleteAdding();
        _socket.Dispose();
        _receiver.Join(TimeSpan.FromSeconds(2));
        _sender.Join(TimeSpan.FromSeconds(2));
        _pending.Dispose();
    }
}

/// <summary>
/// The naive proxy: forwards whatever reaches its front to the backend, and the backend's answer to whoever sent it,
/// with no check on the sender. The reflection tests run it in the same setup as Rebound's proxy.
/// </summary>
internal sealed class NaiveForwarder : IDisposable
{
    private readonly Socket _front;
    private readonly Socket _upstream;
    private readonly Thread _thread;
    private volatile bool _stop;

    public NaiveForwarder(IPEndPoint listen, IPEndPoint backend)
    {
        _front = new Socket(listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 100 };
        _front.Bind(listen);
        _upstream = new Socket(backend.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 100 };
        _upstream.Connect(backend);
        EndPoint = (IPEndPoint)_front.LocalEndPoint!;
        _thread = new Thread(Run) { IsBackground = true, Name = "naive-forwarder" };
        _thread.Start();
    }

    public IPEndPoint EndPoint { get; }

    private void Run()
    {
        var buffer = new byte[2048];
        while (!_stop)
        {
            try
            {
                EndPoint client = new IPEndPoint(IPAddress.Any, 0);
                int n = _front.ReceiveFrom(buffer, ref client);
                _upstream.Send(buffer.AsSpan(0, n));
                n = _upstream.Receive(buffer);
                _front.SendTo(buffer.AsSpan(0, n), client);
            }
            catch (SocketException)
            {
            }
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join(TimeSpan.FromSeconds(2));
        _front.Dispose();
        _upstream.Dispose();
    }
}
