using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Rebound.Interop;
using static Rebound.Interop.LinuxConstants;

namespace Rebound;

/// <summary>
/// A UDP socket bound to a wildcard address (<c>0.0.0.0</c>, or <c>[::]</c> dual-stack or IPv6-only) whose replies leave
/// from the address each request was sent to. A plain <c>sendto()</c> lets the kernel pick the source from the route,
/// which on a host with several addresses can differ from the one the client asked; the client then drops the reply.
/// This socket reads each request's destination (IP_PKTINFO / IPV6_PKTINFO) and sends the reply with that address as
/// its source, as dnsmasq does.
/// </summary>
/// <remarks>
/// Receiving and replying allocate nothing per datagram. One thread may receive while another replies; several
/// concurrent receivers are also safe, since every native structure lives on the caller's stack.
/// </remarks>
public sealed partial class ReboundSocket : IDisposable, IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly SafeSocketHandle _handle;
    private readonly int _family;
    private readonly ushort _port;
    private readonly int _controlSize;
    private readonly SocketCounters _counters = new();
    private readonly SocketIOThread _io;

    /// <summary>
    /// Set first thing in <see cref="Dispose"/>. The runtime shuts the descriptor down before it closes it, so a call racing
    /// with Dispose can see EPIPE or an empty read while the handle is not yet marked closed; this says which it was.
    /// </summary>
    private volatile bool _disposed;

    private ReboundSocket(Socket socket, int controlSize)
    {
        _socket = socket;
        _handle = socket.SafeHandle;
        _family = socket.AddressFamily == AddressFamily.InterNetwork ? AF_INET : AF_INET6;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _port = (ushort)LocalEndPoint.Port;
        _controlSize = controlSize;
        _io = new SocketIOThread(_handle, $"rebound io {LocalEndPoint}");
        // The registry holds the counters, and the counters hold this socket only weakly: an abandoned socket is
        // collected and its descriptor closed by the runtime's finalizer, as a plain Socket's would be.
        var owner = new WeakReference<ReboundSocket>(this);
        _counters.Owner = owner;
        _counters.ReadKernelDrops = () => owner.TryGetTarget(out ReboundSocket? live) ? live.ReadKernelDrops() : 0;
        ReboundMetrics.Register(_counters);
    }

    /// <summary>The address and port the socket is bound to (the actual port when 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The underlying socket, for options Rebound does not wrap. Do not receive or send on it directly.</summary>
    /// <exception cref="InvalidOperationException">The socket uses the per-address strategy, which has one socket per address.</exception>
    public Socket Socket => _perAddress is null ? _socket : throw NoSingleSocket();

    /// <summary>True for an IPv6 socket that also serves IPv4 (V6ONLY=0).</summary>
    public bool IsDualStack => _perAddress?.ReportsMapped ?? (_family == AF_INET6 && _socket.DualMode);

    /// <summary>What this socket has received, sent and refused so far.</summary>
    public ReboundStatistics Statistics => _counters.Snapshot();

    /// <summary>
    /// Opens a UDP socket with pktinfo enabled and binds it. Bind to <see cref="IPAddress.Any"/>,
    /// <see cref="IPAddress.IPv6Any"/> (dual-stack unless <see cref="ReboundSocketOptions.DualStack"/> is false), or a
    /// specific address.
    /// </summary>
    /// <remarks>
    /// Where packet info is not available (anything but 64-bit Linux), or when
    /// <see cref="ReboundSocketOptions.Strategy"/> asks for it, a wildcard address is served with one socket per local
    /// address instead (<see cref="SourceAddressStrategy.PerAddress"/>).
    /// </remarks>
    /// <exception cref="PlatformNotSupportedException"><see cref="SourceAddressStrategy.PacketInfo"/> was asked for where it is not implemented.</exception>
    /// <exception cref="SocketException">The address is in use, not local, or the port needs privileges.</exception>
    public static ReboundSocket Bind(IPEndPoint localEndPoint, ReboundSocketOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        options ??= new ReboundSocketOptions();
        if (PlatformSupport.Resolve(options.Strategy) == SourceAddressStrategy.PerAddress)
        {
            return BindPerAddress(localEndPoint, options);
        }

        var socket = new Socket(localEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            bool v6 = localEndPoint.AddressFamily == AddressFamily.InterNetworkV6;
            if (v6)
            {
                socket.DualMode = options.DualStack || localEndPoint.Address.IsIPv4MappedToIPv6;
                SetFlag(socket, SOL_IPV6, IPV6_RECVPKTINFO);
            }

            // Enabled before bind: a datagram queued between bind and setsockopt would arrive without its destination.
            // On a dual-stack socket IP_PKTINFO supplies ipi_spec_dst for IPv4 clients (the unicast reply source even
            // when the request went to a broadcast address).
            if (!v6 || socket.DualMode)
            {
                SetFlag(socket, SOL_IP, IP_PKTINFO);
            }


            if (options.ReusePort)
            {
                SetFlag(socket, SOL_SOCKET, SO_REUSEPORT);
            }

            if (options.ReceiveBufferSize > 0)
            {
                socket.ReceiveBufferSize = options.ReceiveBufferSize;
            }

            if (options.SendBufferSize > 0)
            {
                socket.SendBufferSize = options.SendBufferSize;
            }

            socket.Bind(localEndPoint);
            return new ReboundSocket(socket, options.ControlBufferSize);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Binds to an endpoint written as text: <c>0.0.0.0:53</c>, <c>[::]:53</c>, <c>[2001:db8::1]:5353</c>.</summary>
    public static ReboundSocket Bind(string localEndPoint, ReboundSocketOptions? options = null) =>
        Bind(IPEndPoint.Parse(localEndPoint), options);

    /// <summary>
    /// Receives one datagram into <paramref name="buffer"/>, waiting until one arrives or
    /// <see cref="Socket.ReceiveTimeout"/> passes (then <see cref="SocketException"/> with
    /// <see cref="SocketError.TimedOut"/>). Check <see cref="ReceivedDatagram.CanReply"/> before replying.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReceivedDatagram Receive(Span<byte> buffer)
    {
        if (_perAddress is not null)
        {
            return _perAddress.Receive(buffer);
        }

        while (true)
        {
            // On a blocking descriptor, wait inside recvmsg itself: one system call per datagram, as a C server makes.
            // Dispose wakes it (the runtime shuts the socket down). Async waits leave the descriptor blocking (they
            // poll on the socket's own I/O thread); if the user made it non-blocking, the zero-byte peek below waits.
            bool block = _socket.Blocking;
            if (TryReceiveCore(buffer, block, out ReceivedDatagram datagram))
            {
                return datagram;
            }

            if (block)
            {
                // A blocking recvmsg answers EAGAIN only when SO_RCVTIMEO (Socket.ReceiveTimeout) expired.
                throw new SocketException((int)SocketError.TimedOut);
            }

            WaitForDatagram();
        }
    }

    /// <summary>Receives one datagram if one is queued; returns false at once otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryReceive(Span<byte> buffer, out ReceivedDatagram datagram) =>
        _perAddress?.TryReceive(buffer, out datagram) ?? TryReceiveCore(buffer, block: false, out datagram);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryReceiveCore(Span<byte> buffer, bool block, out ReceivedDatagram datagram)
    {
        ThrowIfDisposed();
        Errno errno = LinuxDatagramIO.TryReceive(_handle, buffer, _port, _controlSize, out datagram, block);
        if (errno == Errno.None)
        {
            _counters.CountReceived(datagram);
            return true;
        }

        if (errno == Errno.EAGAIN)
        {
            return false;
        }

        ThrowIfDisposed();
        throw errno.ToException("recvmsg");
    }

    /// <summary>
    /// Sends <paramref name="payload"/> to the sender of <paramref name="request"/>, from the address the request was
    /// sent to.
    /// </summary>
    /// <exception cref="InvalidOperationException">The request's destination is unknown (<see cref="ReceivedDatagram.CanReply"/> is false).</exception>
    /// <exception cref="SourceAddressUnavailableException">The local address has gone away; the socket still works.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Reply(in ReceivedDatagram request, ReadOnlySpan<byte> payload)
    {
        ThrowIfUnanswerable(request);
        if (_perAddress is not null)
        {
            ReplyPerAddress(request, payload);
            return;
        }

        Send(payload, request.RemoteEndPoint, request.ReplySource, request.ReplyInterfaceIndex);
    }

    /// <summary>
    /// Starts a conversation: sends <paramref name="payload"/> to <paramref name="destination"/> from
    /// <paramref name="source"/>, which must be an address of this host (or unspecified, to let the kernel choose).
    /// </summary>
    /// <param name="source">The source address; its port is ignored (datagrams leave from the socket's port).</param>
    /// <param name="destination">Where to send.</param>
    /// <param name="payload">The datagram.</param>
    /// <param name="interfaceIndex">For an IPv6 link-local source or destination, the interface to use; 0 otherwise.</param>
    /// <exception cref="ArgumentException">The source and destination are of different families, or of a family this
    /// socket cannot send (IPv6 on an IPv4 socket, IPv4 on an IPv6-only socket): the source would be ignored.</exception>
    public void SendFrom(UdpEndPoint source, UdpEndPoint destination, ReadOnlySpan<byte> payload, int interfaceIndex = 0)
    {
        ThrowIfWrongFamily(ref source, ref destination);
        if (_perAddress is not null)
        {
            SendPerAddress(payload, destination, source);
            return;
        }

        if (_family == AF_INET6)
        {
            source = source.MapToIPv6();
            destination = destination.MapToIPv6();
        }

        Send(payload, destination, source, ReplyPolicy.InterfaceFor(source, interfaceIndex));
    }

    /// <summary>Convenience form of <see cref="SendFrom(UdpEndPoint, UdpEndPoint, ReadOnlySpan{byte}, int)"/>.</summary>
    public void SendFrom(IPAddress source, IPEndPoint destination, ReadOnlySpan<byte> payload) =>
        SendFrom(UdpEndPoint.FromIPAddress(source, 0), UdpEndPoint.FromIPEndPoint(destination), payload);

    /// <summary>
    /// Refuses a source the kernel would silently ignore (it reads only the pktinfo of the destination's family), which
    /// would send from an address the caller did not choose. An unspecified source takes the destination's family.
    /// </summary>
    private void ThrowIfWrongFamily(ref UdpEndPoint source, ref UdpEndPoint destination)
    {
        bool destinationV4 = destination.IsIPv4 || destination.IsIPv4MappedToIPv6;
        bool sourceV4 = source.IsIPv4 || source.IsIPv4MappedToIPv6;
        if (source.IsUnspecified && !source.IsIPv4MappedToIPv6 && sourceV4 != destinationV4)
        {
            source = destinationV4 ? UdpEndPoint.FromIPv4([0, 0, 0, 0], source.Port) : UdpEndPoint.FromIPv6(new byte[16], source.Port);
            sourceV4 = destinationV4;
        }

        if (sourceV4 != destinationV4)
        {
            throw new ArgumentException(
                $"The source {source.ToString("a", null)} and the destination {destination} are of different address families.", nameof(source));
        }

        bool canSend = destinationV4 ? _family == AF_INET || IsDualStack : _family == AF_INET6;
        if (!canSend)
        {
            string socketKind = _family == AF_INET ? "an IPv4 socket" : "an IPv6-only socket";
            throw new ArgumentException($"{socketKind} cannot send to {destination} from {source.ToString("a", null)}.", nameof(destination));
        }

        if (_family == AF_INET)
        {
            source = source.MapToIPv4();
            destination = destination.MapToIPv4();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Send(ReadOnlySpan<byte> payload, UdpEndPoint destination, UdpEndPoint source, int interfaceIndex)
    {
        while (true)
        {
            Errno errno = TrySendCore(payload, destination, source, interfaceIndex);
            if (errno == Errno.None)
            {
                return;
            }

            // The send buffer is full: wait for room instead of losing the reply.
            _socket.Poll(TimeSpan.FromSeconds(1), SelectMode.SelectWrite);
        }
    }

    /// <summary>Sends once; returns <see cref="Errno.None"/>, or EAGAIN when the send buffer is full. Other errors throw.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private Errno TrySendCore(ReadOnlySpan<byte> payload, UdpEndPoint destination, UdpEndPoint source, int interfaceIndex)
    {
        ThrowIfDisposed();
        Errno errno = LinuxDatagramIO.TrySend(_handle, _family, payload, destination, source, interfaceIndex);
        if (errno == Errno.None)
        {
            _counters.CountSent();
            return Errno.None;
        }

        if (errno == Errno.EAGAIN)
        {
            return errno;
        }

        ThrowIfDisposed();
        _counters.CountSendError(errno);
        if (errno.MeansSourceUnavailable())
        {
            throw new SourceAddressUnavailableException(source, (int)errno);
        }

        throw errno.ToException($"sendmsg to {destination} from {source.ToString("a", null)}");
    }

    internal static void ThrowIfUnanswerable(in ReceivedDatagram request)
    {
        // The check is inlined into every reply path; building the message is not.
        if (!request.CanReply)
        {
            ThrowUnanswerable(request);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowUnanswerable(in ReceivedDatagram request) =>
        throw new InvalidOperationException(
            $"Refusing to answer the datagram from {request.RemoteEndPoint}: {request.Unanswerable.Describe()}. " +
            "Replying without it could send from the wrong address.");

    /// <summary>Throws <see cref="ObjectDisposedException"/> once <see cref="Dispose"/> has begun.</summary>
    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed || (_perAddress is null && _handle.IsClosed), this);

    /// <summary>
    /// Lets sockets bound later with SO_REUSEPORT join this one's group. Set after an exclusive bind, so the bind itself
    /// still fails with "address in use" when any other socket holds the address.
    /// </summary>
    internal void OpenPortGroup() => SetFlag(_socket, SOL_SOCKET, SO_REUSEPORT);

    private static void SetFlag(Socket socket, int level, int name)
    {
        Span<byte> one = [1, 0, 0, 0];
        socket.SetRawSocketOption(level, name, one);
    }

    /// <summary>Closes the socket. Pending receives end with <see cref="ObjectDisposedException"/> or <see cref="SocketException"/>.</summary>
    public void Dispose()
    {
        _disposed = true;
        if (_perAddress is not null)
        {
            ReboundMetrics.Unregister(_counters);
            _perAddress.Dispose();
            return;
        }

        _counters.RecordKernelDrops(ReadKernelDrops());
        _counters.ReadKernelDrops = null;
        ReboundMetrics.Unregister(_counters);
        _io.Dispose();
        _socket.Dispose();
    }

    /// <summary>
    /// The socket's drop counter (sk_drops: datagrams lost to a full receive queue), read with getsockopt(SO_MEMINFO)
    /// only when statistics or metrics are read: the counter SO_RXQ_OVFL would attach to every datagram, without its
    /// ~0.1 µs per datagram.
    /// </summary>
    private long ReadKernelDrops()
    {
        const int MemInfoDrops = 8;   // SK_MEMINFO_DROPS
        Span<uint> memInfo = stackalloc uint[16];
        try
        {
            int length = _socket.GetRawSocketOption(SOL_SOCKET, SO_MEMINFO, System.Runtime.InteropServices.MemoryMarshal.AsBytes(memInfo));
            return length >= (MemInfoDrops + 1) * sizeof(uint) ? memInfo[MemInfoDrops] : 0;
        }
        catch (ObjectDisposedException)
        {
            return 0;
        }
        catch (SocketException)
        {
            return 0;
        }
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
