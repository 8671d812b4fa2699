using System.Net;
using System.Net.Sockets;
using Rebound.Lab;
using Rebound.PerAddress;

namespace Rebound.Tests.PerAddress;

/// <summary>
/// An echo server on the per-address socket set, opened inside a namespace (its sockets and its address watcher live
/// there) and served by a background thread: every request is answered on the socket it arrived on.
/// </summary>
internal sealed class PerAddressEcho : IDisposable
{
    private readonly Thread _thread;
    private long _answered;
    private long _refused;

    private PerAddressEcho(PerAddressSocketSet set)
    {
        Set = set;
        _thread = new Thread(Serve) { IsBackground = true, Name = "per-address echo" };
        _thread.Start();
    }

    public PerAddressSocketSet Set { get; }

    public int Port => Set.Port;

    public long Answered => Interlocked.Read(ref _answered);

    /// <summary>Replies the set refused (source gone between request and reply): counted, never sent from elsewhere.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    public static PerAddressEcho Start(NetworkNamespace ns, string bindTo, bool dualStack = true, ushort port = 0) =>
        ns.Run(() => new PerAddressEcho(PerAddressSocketSet.Open(
            new IPEndPoint(IPAddress.Parse(bindTo), port), new ReboundSocketOptions { DualStack = dualStack }, new SocketCounters())));

    private void Serve()
    {
        byte[] buffer = new byte[2048];
        try
        {
            while (true)
            {
                ReceivedDatagram request = Set.Receive(buffer);
                SocketError result = Set.Send(buffer.AsSpan(0, request.Length), request.RemoteEndPoint, request.ReplySource);
                Interlocked.Increment(ref result == SocketError.Success ? ref _answered : ref _refused);
            }
        }
        catch (SocketException)
        {
            // Shut down.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>True once every address in <paramref name="addresses"/> is served (the watcher has bound it).</summary>
    public bool Serves(IEnumerable<IPAddress> addresses) =>
        addresses.All(a => LocalAddresses.TryKey(a, LocalAddresses.Families.Both, out UdpEndPoint key) && Set.Served.Contains(key));

    public void Dispose()
    {
        Set.Dispose();
        _thread.Join(TimeSpan.FromSeconds(5));
    }
}
