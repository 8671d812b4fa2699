using System.Net;
using System.Net.Sockets;

namespace Rebound.Cli.Doctor;

/// <summary>
/// Asks one listener one question from a client's network namespace, exactly as that client would: a socket connected
/// to the server address, with the source the kernel picks there. The connected socket accepts only a reply from the
/// address and port it asked. A second, unconnected "witness" socket shares its address and port (SO_REUSEADDR); the
/// kernel hands it whatever the connected socket refuses, so a wrong-source reply is seen and named instead of being
/// answered with ICMP port unreachable.
/// </summary>
internal sealed class ClientProbe : IDisposable
{
    private readonly Socket _connected;
    private readonly Socket _witness;

    private ClientProbe(Socket connected, Socket witness, LocalAddress server, int port, string client)
    {
        _connected = connected;
        _witness = witness;
        Server = server;
        Port = port;
        Client = client;
    }

    public LocalAddress Server { get; }

    public int Port { get; }

    /// <summary>How the client's namespace is named in the report.</summary>
    public string Client { get; }

    /// <summary>The client's address (the kernel's choice for this server).</summary>
    public IPAddress Source => ((IPEndPoint)_connected.LocalEndPoint!).Address;

    /// <summary>Opens the pair in the calling thread's network namespace (call it inside the client's).</summary>
    /// <exception cref="SocketException">No route from this namespace to the server address.</exception>
    public static ClientProbe Open(LocalAddress server, int port, string client)
    {
        ArgumentNullException.ThrowIfNull(server);
        AddressFamily family = server.Address.AddressFamily;
        var connected = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
        var witness = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            connected.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            connected.Connect(new IPEndPoint(server.Address, port));
            witness.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            witness.Bind(connected.LocalEndPoint!);
            return new ClientProbe(connected, witness, server, port, client);
        }
        catch
        {
            connected.Dispose();
            witness.Dispose();
            throw;
        }
    }

    /// <summary>Sends once on the connected socket and waits for the first datagram on either socket.</summary>
    public async Task<ProbeResult> RunAsync(byte[] payload, string protocol, TimeSpan timeout, CancellationToken cancellation)
    {
        ProbeResult Result(ProbeVerdict verdict, IPEndPoint? from, string detail) =>
            new(Port, protocol, Server, Source, verdict, from, detail, Client);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        try
        {
            await _connected.SendAsync(payload, SocketFlags.None, deadline.Token).ConfigureAwait(false);
            byte[] right = new byte[65536];
            byte[] wrong = new byte[65536];
            EndPoint any = new IPEndPoint(Source.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
            Task<int> answered = _connected.ReceiveAsync(right, SocketFlags.None, deadline.Token).AsTask();
            Task<SocketReceiveFromResult> stray = _witness.ReceiveFromAsync(wrong, SocketFlags.None, any, deadline.Token).AsTask();
            Task first = await Task.WhenAny(answered, stray).ConfigureAwait(false);
            await deadline.CancelAsync().ConfigureAwait(false);
            if (first == answered)
            {
                int length = await answered.ConfigureAwait(false);
                return Result(ProbeVerdict.Ok, new IPEndPoint(Server.Address, Port), $"{length}-byte reply");
            }

            var from = (IPEndPoint)(await stray.ConfigureAwait(false)).RemoteEndPoint;
            return Result(ProbeVerdict.WrongSource, from, LocalAddress.SameAddressIgnoringScope(from.Address, Server.Address)
                ? $"replied from port {from.Port} instead of {Port}: the client's connected socket drops it"
                : $"replied from {from.Address} instead of {Server.Address}: the client's connected socket drops it");
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return Result(ProbeVerdict.NoReply, null, $"no reply within {timeout.TotalMilliseconds:0} ms (the service may ignore this payload)");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return Result(ProbeVerdict.Refused, null, "ICMP port unreachable: nothing listens there for this client");
        }
        catch (SocketException e)
        {
            return Result(ProbeVerdict.Error, null, e.Message);
        }
    }

    public void Dispose()
    {
        _connected.Dispose();
        _witness.Dispose();
    }
}
