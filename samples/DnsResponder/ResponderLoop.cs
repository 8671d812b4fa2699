using System.Net;
using System.Net.Sockets;
using Rebound;

namespace DnsResponder;

/// <summary>
/// Serves an <see cref="IDatagramResponder"/> on a socket, one datagram at a time, until the socket is closed or
/// <paramref name="maxRequests"/> have been handled. The Rebound loop replies from each request's destination address;
/// the naive loop replies with plain sendto(), which on a multi-address host can leave from the wrong one.
/// Both allocate nothing per request.
/// </summary>
internal static class ResponderLoop
{
    /// <summary>Big enough for any query; bigger ones arrive truncated and are dropped.</summary>
    public const int RequestBufferSize = 4096;

    public static void Run(ReboundSocket socket, IDatagramResponder responder, ServeCounters counters, TextWriter log, long maxRequests = long.MaxValue)
    {
        byte[] request = GC.AllocateUninitializedArray<byte>(RequestBufferSize, pinned: true);
        byte[] reply = GC.AllocateUninitializedArray<byte>(Dns.DnsConstants.MaxUdpPayload, pinned: true);
        var failures = new ThrottledLog(log);
        try
        {
            Serve(socket, responder, counters, failures, request, reply, maxRequests);
        }
        finally
        {
            failures.Flush();
        }
    }

    private static void Serve(
        ReboundSocket socket, IDatagramResponder responder, ServeCounters counters, ThrottledLog failures, byte[] request, byte[] reply, long maxRequests)
    {
        for (long handled = 0; handled < maxRequests; handled++)
        {
            ReceivedDatagram datagram;
            try
            {
                datagram = socket.Receive(request);
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted or SocketError.Shutdown })
            {
                return; // closed: shutting down
            }

            if (!datagram.CanReply)
            {
                counters.Unanswerable++; // never guess a source address
                continue;
            }

            int length = datagram.IsTruncated ? 0 : responder.Respond(request.AsSpan(0, datagram.Length), reply);
            if (length == 0)
            {
                counters.Dropped++;
                continue;
            }

            try
            {
                socket.Reply(datagram, reply.AsSpan(0, length));
                counters.Answered++;
            }
            catch (SourceAddressUnavailableException e)
            {
                counters.Dropped++;
                failures.Write(e.Message);
            }
            catch (SocketException e)
            {
                counters.Dropped++; // e.g. no route back to this client: lose this reply, keep serving
                failures.Write($"reply to {datagram.RemoteEndPoint} failed: {e.Message}");
            }
        }
    }

    /// <summary>The recvfrom/sendto loop most servers have; kept to reproduce the failure in tests and as a cost baseline.</summary>
    public static void RunNaive(Socket socket, IDatagramResponder responder, ServeCounters counters, long maxRequests = long.MaxValue)
    {
        byte[] request = GC.AllocateUninitializedArray<byte>(RequestBufferSize, pinned: true);
        byte[] reply = GC.AllocateUninitializedArray<byte>(Dns.DnsConstants.MaxUdpPayload, pinned: true);
        var remote = new SocketAddress(socket.AddressFamily);
        for (long handled = 0; handled < maxRequests; handled++)
        {
            int received;
            try
            {
                received = socket.ReceiveFrom(request, SocketFlags.None, remote);
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted or SocketError.Shutdown })
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.MessageSize or SocketError.ConnectionReset)
            {
                counters.Dropped++; // an oversized query, or an ICMP error from an earlier reply
                continue;
            }

            int length = responder.Respond(request.AsSpan(0, received), reply);
            if (length == 0)
            {
                counters.Dropped++;
                continue;
            }

            try
            {
                socket.SendTo(reply.AsSpan(0, length), SocketFlags.None, remote);
                counters.Answered++;
            }
            catch (SocketException)
            {
                counters.Dropped++;
            }
        }
    }

    /// <summary>Opens the naive loop's socket: dual-stack on [::] unless told otherwise.</summary>
    public static Socket BindNaive(IPEndPoint listen)
    {
        var socket = new Socket(listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (listen.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = true;
            }

            socket.Bind(listen);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
