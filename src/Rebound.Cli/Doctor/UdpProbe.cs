using System.Net;
using System.Net.Sockets;

namespace Rebound.Cli.Doctor;

/// <summary>
/// Asks one listener one question the way a connected client would, but listens like an unconnected one: the socket is
/// bound to one local address (127.0.0.1; for IPv6 another global address of the host, or ::1), sends to another local
/// address, and receives whatever comes back — so it sees the reply's real source, which a connected client would have
/// dropped. A naive wildcard server answers from the probe's own address (the kernel picks the source from the route
/// back to the client); a pktinfo server answers from the address asked. IP_RECVERR makes the ICMP port unreachable
/// for an unanswered port show up as "refused".
/// </summary>
internal sealed class UdpProbe : IDisposable
{
    private const int SolIp = 0;
    private const int IpRecvErr = 11;
    private const int SolIpv6 = 41;
    private const int Ipv6RecvErr = 25;

    private readonly Socket _socket;
    private readonly IPEndPoint _destination;

    private UdpProbe(Socket socket, IPEndPoint destination, LocalAddress target)
    {
        _socket = socket;
        _destination = destination;
        Target = target;
    }

    public LocalAddress Target { get; }

    /// <summary>The local address the probe is sent from.</summary>
    public IPAddress Source => ((IPEndPoint)_socket.LocalEndPoint!).Address;

    /// <summary>
    /// Opens the probe socket in the calling thread's network namespace (call it inside the namespace; the socket stays
    /// there when used from other threads).
    /// </summary>
    public static UdpProbe Open(LocalAddress target, int port, IPAddress source)
    {
        ArgumentNullException.ThrowIfNull(target);
        bool v4 = target.Address.AddressFamily == AddressFamily.InterNetwork;
        var socket = new Socket(target.Address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.SetRawSocketOption(v4 ? SolIp : SolIpv6, v4 ? IpRecvErr : Ipv6RecvErr, BitConverter.GetBytes(1));
            socket.Bind(new IPEndPoint(source, 0));
            return new UdpProbe(socket, new IPEndPoint(target.Address, port), target);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends <paramref name="payload"/> once and waits up to <paramref name="timeout"/> for the first reply.</summary>
    public async Task<ProbeResult> RunAsync(byte[] payload, string protocol, TimeSpan timeout, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(payload);
        int port = _destination.Port;
        ProbeResult Result(ProbeVerdict verdict, IPEndPoint? from, string detail) =>
            new(port, protocol, Target, Source, verdict, from, detail);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        try
        {
            await _socket.SendToAsync(payload, SocketFlags.None, _destination, deadline.Token).ConfigureAwait(false);
            byte[] buffer = new byte[65536];
            EndPoint any = new IPEndPoint(_socket.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
            SocketReceiveFromResult reply = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, deadline.Token).ConfigureAwait(false);
            var from = (IPEndPoint)reply.RemoteEndPoint;
            bool sameAddress = LocalAddress.SameAddressIgnoringScope(from.Address, _destination.Address);
            return sameAddress && from.Port == port
                ? Result(ProbeVerdict.Ok, from, $"{reply.ReceivedBytes}-byte reply")
                : Result(ProbeVerdict.WrongSource, from, sameAddress
                    ? $"replied from port {from.Port} instead of {port}"
                    : $"replied from {from.Address} instead of {_destination.Address}");
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return Result(ProbeVerdict.NoReply, null, $"no reply within {timeout.TotalMilliseconds:0} ms (the service may ignore this payload)");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return Result(ProbeVerdict.Refused, null, "ICMP port unreachable: nothing listens there for this address");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.InvalidArgument && IPAddress.IsLoopback(Source) && !IPAddress.IsLoopback(_destination.Address))
        {
            // sendto from 127.0.0.1 to a local address only fails this way when NAT sent the packet elsewhere.
            return Result(ProbeVerdict.NotSent, null,
                $"not sent: NAT rewrote the destination to another host, where a packet from {Source} may not go (EINVAL); Docker's DNAT for a published port does this");
        }
        catch (SocketException e)
        {
            return Result(ProbeVerdict.Error, null, e.Message);
        }
    }

    public void Dispose() => _socket.Dispose();
}
