using System.Net;
using System.Net.Sockets;
using Rebound.Interop;
using Rebound.PerAddress;

namespace Rebound;

/// <summary>
/// The per-address strategy behind <see cref="ReboundSocket"/>'s API (see <see cref="SourceAddressStrategy.PerAddress"/>):
/// each public method of the packet-info path starts with a one-line hand-over to the method of the same name here.
/// </summary>
public sealed partial class ReboundSocket
{
    private readonly PerAddressSocketSet? _perAddress;

    private ReboundSocket(PerAddressSocketSet set, SocketCounters counters)
    {
        _perAddress = set;
        _counters = counters;
        _socket = null!;
        _handle = null!;
        _io = null!;
        _family = set.Families == LocalAddresses.Families.IPv4 ? LinuxConstants.AF_INET : LinuxConstants.AF_INET6;
        _port = set.Port;
        LocalEndPoint = new IPEndPoint(set.RequestedAddress, set.Port);
        ReboundMetrics.Register(_counters);
    }

    /// <summary>How this socket makes replies leave from the right address.</summary>
    public SourceAddressStrategy Strategy => _perAddress is null ? SourceAddressStrategy.PacketInfo : SourceAddressStrategy.PerAddress;

    /// <summary>
    /// How long <see cref="Receive(Span{byte})"/> and <see cref="ReceiveBatch(DatagramBatch)"/> wait before throwing
    /// <see cref="SocketException"/> (<see cref="SocketError.TimedOut"/>); <see cref="Timeout.InfiniteTimeSpan"/> (the
    /// default) waits for ever.
    /// </summary>
    public TimeSpan ReceiveTimeout
    {
        get => _perAddress?.ReceiveTimeout ?? (_socket.ReceiveTimeout <= 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(_socket.ReceiveTimeout));
        set
        {
            if (_perAddress is not null)
            {
                _perAddress.ReceiveTimeout = value;
            }
            else
            {
                _socket.ReceiveTimeout = value == Timeout.InfiniteTimeSpan ? 0 : (int)Math.Max(1, value.TotalMilliseconds);
            }
        }
    }

    /// <summary>The per-address sockets, or null under packet info (tests and diagnostics).</summary>
    internal PerAddressSocketSet? PerAddressSet => _perAddress;

    /// <summary>
    /// Wakes every thread blocked receiving, for good (how <see cref="ReboundServer"/> stops). For packet info this is
    /// shutdown(SHUT_RD): on an unconnected UDP socket Linux answers ENOTCONN but still marks the socket shut and wakes
    /// its waiters.
    /// </summary>
    internal void ShutdownReceive()
    {
        if (_perAddress is not null)
        {
            _perAddress.ShutDownReceive();
            return;
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Receive);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static ReboundSocket BindPerAddress(IPEndPoint localEndPoint, ReboundSocketOptions options)
    {
        var counters = new SocketCounters();
        PerAddressSocketSet set = PerAddressSocketSet.Open(localEndPoint, options, counters, options.AddressCheckInterval);
        return new ReboundSocket(set, counters);
    }

    private static InvalidOperationException NoSingleSocket() => new InvalidOperationException(
        "This ReboundSocket uses the per-address strategy: one socket per local address, so there is no single Socket. " +
        "Use ReceiveTimeout, ReboundSocketOptions and Statistics instead.");

    private void ReplyPerAddress(in ReceivedDatagram request, ReadOnlySpan<byte> payload) =>
        SendPerAddress(payload, request.RemoteEndPoint, request.ReplySource);

    private void SendPerAddress(ReadOnlySpan<byte> payload, UdpEndPoint destination, UdpEndPoint source)
    {
        if (source.IsUnspecified)
        {
            throw new ArgumentException("The per-address strategy sends from one of the host's addresses; name it.", nameof(source));
        }

        SocketError error = _perAddress!.Send(payload, destination, source);
        if (error == SocketError.Success)
        {
            _counters.CountSent();
            return;
        }

        Errno errno = PerAddressErrors.ToErrno(error);
        _counters.CountSendError(errno);
        if (errno.MeansSourceUnavailable())
        {
            throw new SourceAddressUnavailableException(source, (int)errno);
        }

        throw new SocketException((int)error, $"sendto {destination} from {source.ToString("a", null)} failed: {error}");
    }

    /// <summary>
    /// Fills <paramref name="batch"/> from one readable address socket, which the batch holds until its replies are sent
    /// (<see cref="ReplyBatch"/>), the next receive, or its disposal: one address is read by one thread at a time, so
    /// its datagrams are answered in the order they came, as one SO_REUSEPORT socket per flow keeps them under packet info.
    /// </summary>
    private int ReceiveBatchPerAddress(DatagramBatch batch, bool wait)
    {
        ArgumentNullException.ThrowIfNull(batch);
        batch.ThrowIfDisposed();
        batch.ReleaseHeldSocket();
        while (true)
        {
            AddressSocket? socket = wait ? _perAddress!.TakeReady() : _perAddress!.TryTakeReady();
            if (socket is null)
            {
                batch.SetReceived(0);
                return 0;
            }

            int count = Drain(batch, socket);
            if (count > 0)
            {
                return count;
            }
        }
    }

    private async ValueTask<int> ReceiveBatchPerAddressAsync(DatagramBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        while (true)
        {
            AddressSocket socket = await _perAddress!.TakeReadyAsync(cancellationToken).ConfigureAwait(false);
            int count = Drain(batch, socket);
            if (count > 0)
            {
                return count;
            }
        }
    }

    /// <summary>Reads what <paramref name="socket"/> has queued (up to the batch's capacity); an empty socket is re-armed at once.</summary>
    private int Drain(DatagramBatch batch, AddressSocket socket)
    {
        if (batch.IsDisposed)
        {
            socket.Arm();   // disposed while waiting: hand the socket back before throwing
            batch.ThrowIfDisposed();
        }

        int count = 0;
        while (count < batch.Capacity && _perAddress!.ReadHeld(socket, BatchBuffer(batch, count), out batch.Slot(count)))
        {
            count++;
        }

        batch.SetReceived(count);
        if (count == 0)
        {
            socket.Arm();
        }
        else
        {
            batch.HeldSocket = socket;
        }

        return count;
    }

    private static unsafe Span<byte> BatchBuffer(DatagramBatch batch, int index) =>
        new(batch.Payloads + (index * batch.Stride), batch.BufferSize);

    /// <summary>The batched-send engine's per-address form: each datagram on its source's socket, same partial-send policy.</summary>
    private int SendCorePerAddress(TransmitBatch batch, ReadOnlySpan<int> order, Span<Errno> errors)
    {
        try
        {
            int sent = 0;
            for (int i = 0; i < batch.Count; i++)
            {
                ReadOnlySpan<byte> payload = batch.Queued(i, out UdpEndPoint destination, out UdpEndPoint source);
                SocketError error = _perAddress!.Send(payload, destination, source);
                if (error == SocketError.Success)
                {
                    errors[order[i]] = 0;
                    sent++;
                    continue;
                }

                Errno errno = PerAddressErrors.ToErrno(error);
                errors[order[i]] = errno;
                _counters.CountSendError(errno);
            }

            _counters.CountSent(sent);
            return sent;
        }
        finally
        {
            batch.Clear();
        }
    }
}
