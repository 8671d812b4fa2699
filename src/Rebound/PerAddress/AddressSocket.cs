using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Rebound.Interop;

namespace Rebound.PerAddress;

/// <summary>
/// One UDP socket bound to one local address and the set's port. Whatever arrives on it was sent to that address, and
/// whatever it sends leaves from that address: the source is right by construction, with no control messages.
/// </summary>
/// <remarks>
/// Readiness comes from a zero-byte <see cref="SocketFlags.Peek"/> receive on the runtime's own engine (epoll, kqueue,
/// IOCP), so thousands of sockets wait without a thread each. When it completes the socket is handed to
/// <see cref="ReadySockets"/>; the receiver that takes it reads with a non-blocking <c>recvfrom</c> straight into its
/// own buffer, then re-arms. Only the receiver holding the socket reads from it, so a readable socket never turns out
/// empty because another thread raced for the datagram.
/// </remarks>
internal sealed class AddressSocket : IDisposable
{
    private readonly Socket _socket;
    private readonly ReadySockets _ready;
    private readonly SocketAddress _sender;
    private readonly Action _onReadable;
    private readonly bool _reportMapped;
    private ConfiguredValueTaskAwaitable<int>.ConfiguredValueTaskAwaiter _wait;
    private volatile bool _closed;

    private AddressSocket(Socket socket, UdpEndPoint local, ReadySockets ready, bool reportMapped)
    {
        _socket = socket;
        _ready = ready;
        _reportMapped = reportMapped;
        Local = local;
        _sender = PortableSocketAddress.ForFamily(socket.AddressFamily);
        _onReadable = OnReadable;
    }

    /// <summary>The address and port this socket is bound to (IPv4 as IPv4, link-local with its scope).</summary>
    public UdpEndPoint Local { get; }

    /// <summary>The socket itself (tests and options only).</summary>
    public Socket Socket => _socket;

    /// <summary>
    /// Opens a socket bound to <paramref name="address"/>:<paramref name="port"/> (port 0 picks one). IPv6 sockets are
    /// IPv6-only, so that an IPv4 address keeps its own socket. Throws <see cref="SocketException"/> when the bind fails.
    /// </summary>
    public static AddressSocket Open(UdpEndPoint address, ushort port, ReboundSocketOptions options, ReadySockets ready, bool reportMapped)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (!address.IsIPv4)
            {
                socket.DualMode = false;
            }

            if (options.ReceiveBufferSize > 0)
            {
                socket.ReceiveBufferSize = options.ReceiveBufferSize;
            }

            if (options.SendBufferSize > 0)
            {
                socket.SendBufferSize = options.SendBufferSize;
            }

            socket.Bind(address.WithPort(port).ToIPEndPoint());
            socket.Blocking = false;
            ushort bound = (ushort)((System.Net.IPEndPoint)socket.LocalEndPoint!).Port;
            return new AddressSocket(socket, address.WithPort(bound), ready, reportMapped);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Waits (without a thread) until a datagram is queued, then hands the socket to the ready queue.</summary>
    public void Arm()
    {
        if (_closed)
        {
            return;
        }

        try
        {
#pragma warning disable CA2012 // consumed exactly once, by OnReadable
            _wait = _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.Peek).ConfigureAwait(false).GetAwaiter();
#pragma warning restore CA2012
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        catch (SocketException)
        {
            // A pending error (Windows: ICMP port unreachable as WSAECONNRESET): let the receiver read and clear it.
            _ready.Add(this);
            return;
        }

        if (_wait.IsCompleted)
        {
            OnReadable();
        }
        else
        {
            _wait.UnsafeOnCompleted(_onReadable);
        }
    }

    private void OnReadable()
    {
        try
        {
            _wait.GetResult();
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.OperationAborted or SocketError.Shutdown || _closed)
        {
            return;
        }
        catch (SocketException)
        {
            // MessageSize (a zero-byte peek at a datagram on Windows) or a pending error: readable either way.
        }

        if (!_closed)
        {
            _ready.Add(this);
        }
    }

    /// <summary>
    /// Reads one queued datagram into <paramref name="buffer"/> without waiting. False when none is queued (or the
    /// socket closed). The caller must hold the socket (have taken it from <see cref="ReadySockets"/>).
    /// </summary>
    public bool TryReceive(Span<byte> buffer, out ReceivedDatagram datagram)
    {
        datagram = default;
        int length;
        bool truncated = false;
        try
        {
            length = _socket.ReceiveFrom(buffer, SocketFlags.None, _sender);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.MessageSize)
        {
            // The datagram was longer than the buffer: its first bytes are in it and the rest is gone.
            length = buffer.Length;
            truncated = true;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.ConnectionReset)
        {
            return false;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }

        if (!PortableSocketAddress.TryRead(_sender, out UdpEndPoint remote))
        {
            datagram = new ReceivedDatagram(length, default, Local, Local, InterfaceIndex, truncated, UnanswerableReason.MissingPacketInfo);
            return true;
        }

        UdpEndPoint local = Local;
        if (_reportMapped && local.IsIPv4)
        {
            // A dual-stack set reports IPv4 as v4-mapped, exactly as one dual-stack pktinfo socket would.
            local = local.MapToIPv6();
            remote = remote.MapToIPv6();
        }

        datagram = new ReceivedDatagram(length, remote, local, local, InterfaceIndex, truncated, UnanswerableReason.None);
        return true;
    }

    /// <summary>The interface a link-local address belongs to; 0 for other addresses (any interface may carry them).</summary>
    private int InterfaceIndex => Local.IsIPv6LinkLocal ? (int)Local.ScopeId : 0;

    /// <summary>
    /// Sends once from this socket's address to <paramref name="destination"/> (written into
    /// <paramref name="scratch"/>, an address of this socket's family). Returns <see cref="SocketError.Success"/>,
    /// <see cref="SocketError.WouldBlock"/> when the send buffer is full, or the error.
    /// </summary>
    public SocketError TrySend(ReadOnlySpan<byte> payload, UdpEndPoint destination, SocketAddress scratch)
    {
        PortableSocketAddress.Write(destination, scratch);
        try
        {
            _socket.SendTo(payload, SocketFlags.None, scratch);
            return SocketError.Success;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode;
        }
        catch (ObjectDisposedException)
        {
            // The address went away and its socket was closed between the lookup and the send.
            return SocketError.AddressNotAvailable;
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for room in the send buffer.</summary>
    public void WaitWritable(TimeSpan timeout)
    {
        try
        {
            _socket.Poll(timeout, SelectMode.SelectWrite);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Closes the socket; a pending readiness wait ends and is ignored.</summary>
    public void Dispose()
    {
        _closed = true;
        _socket.Dispose();
    }
}
