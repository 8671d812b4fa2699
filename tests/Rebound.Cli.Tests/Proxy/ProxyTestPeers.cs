using System.Net;
using System.Net.Sockets;
using Rebound.Lab;

namespace Rebound.Cli.Tests.Proxy;

/// <summary>
/// The backend most services are: recvfrom, then a plain sendto, letting the kernel pick the source address. Runs on
/// its own thread until disposed. Create it inside <c>NetworkNamespace.Run</c> to put it in a namespace.
/// </summary>
internal sealed class NaiveUdpEcho : IDisposable
{
    private readonly Socket _socket;
    private readonly Thread _thread;

    private readonly byte[] _tag;
    private readonly TimeSpan _delay;

    /// <param name="bind">Where to listen (0.0.0.0:0 for the usual wildcard server).</param>
    /// <param name="tag">Prepended to every reply, to tell backends apart.</param>
    /// <param name="delay">Waited before each reply, to keep a reply in flight.</param>
    public NaiveUdpEcho(IPEndPoint bind, string tag = "", TimeSpan delay = default)
    {
        _tag = System.Text.Encoding.ASCII.GetBytes(tag);
        _delay = delay;
        _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(bind);
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _thread = new Thread(Run) { IsBackground = true, Name = "naive-echo" };
        _thread.Start();
    }

    public IPEndPoint EndPoint { get; }

    public int Port => EndPoint.Port;

    /// <summary>A wildcard IPv4 echo server on a free port, as most UDP services bind.</summary>
    public static NaiveUdpEcho OnAnyAddress(string tag = "", TimeSpan delay = default) => new(new IPEndPoint(IPAddress.Any, 0), tag, delay);

    /// <summary>Where the proxy reaches this server: loopback, on its port.</summary>
    public IPEndPoint Loopback => new(IPAddress.Loopback, Port);

    private void Run()
    {
        byte[] buffer = new byte[65536];
        EndPoint any = new IPEndPoint(EndPoint.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        try
        {
            while (true)
            {
                EndPoint from = any;
                _tag.CopyTo(buffer, 0);
                int n = _socket.ReceiveFrom(buffer.AsSpan(_tag.Length), SocketFlags.None, ref from);
                if (_delay > TimeSpan.Zero)
                {
                    Thread.Sleep(_delay);
                }

                _socket.SendTo(buffer.AsSpan(0, _tag.Length + n), SocketFlags.None, from);
            }
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        _thread.Join(TimeSpan.FromSeconds(2));
    }
}

/// <summary>Waiting and descriptor counting for the proxy tests.</summary>
internal static class ProxyTestHelpers
{
    /// <summary>A loopback address other than 127.0.0.1: a client bound to 127.0.0.1 asking it reproduces the bug.</summary>
    public static readonly IPAddress Second = IPAddress.Parse("127.0.0.2");

    /// <summary>The proxy's (first) front port at <paramref name="address"/>.</summary>
    internal static IPEndPoint FrontAt(Rebound.Proxy.UdpProxy proxy, IPAddress address) => new(address, proxy.ListenEndPoints[0].Port);

    /// <summary>A client bound to 127.0.0.1 and connected to the proxy at 127.0.0.2: the setup where a naive server fails.</summary>
    internal static Socket ClientOf(Rebound.Proxy.UdpProxy proxy) =>
        Rebound.TestSupport.UdpClients.Connect(FrontAt(proxy, Second), new IPEndPoint(IPAddress.Loopback, 0));

    /// <summary>How long a test waits for a reply that must come.</summary>
    public const int Answer = 2000;

    /// <summary>Polls <paramref name="condition"/> every 20 ms for up to <paramref name="limit"/>; returns whether it became true.</summary>
    public static bool WaitUntil(Func<bool> condition, TimeSpan limit)
    {
        DateTime end = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < end)
        {
            if (condition())
            {
                return true;
            }

            Thread.Sleep(20);
        }

        return condition();
    }

    /// <summary>What this process's file descriptors point at, after finalizers have closed what earlier tests dropped.</summary>
    public static List<string> OpenDescriptors()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var targets = new List<string>();
        foreach (string fd in Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                targets.Add(new FileInfo(fd).LinkTarget ?? fd);
            }
            catch (IOException)
            {
                // The directory's own descriptor closes while it is listed.
            }
        }

        return targets;
    }

    /// <summary>
    /// Asserts that no socket, epoll or eventfd descriptor opened since <paramref name="before"/> is still open, naming
    /// any that is. (Files such as assemblies the runtime loads on first use are not the proxy's to close.)
    /// </summary>
    public static void AssertNoDescriptorLeak(List<string> before)
    {
        before = [.. before.Where(IsSocketLike)];
        List<string> after = [.. OpenDescriptors().Where(IsSocketLike)];
        var extra = after.ToList();
        foreach (string target in before)
        {
            extra.Remove(target);
        }

        Assert.True(after.Count <= before.Count, $"{after.Count - before.Count} more descriptors than before: {string.Join(", ", extra)}");
    }

    /// <summary>Socket, epoll and eventfd descriptors open now, without collecting garbage first (so sockets left to the finalizer still count).</summary>
    public static int SocketDescriptorsNow() =>
        Directory.GetFiles("/proc/self/fd").Count(fd =>
        {
            try
            {
                return IsSocketLike(new FileInfo(fd).LinkTarget ?? "");
            }
            catch (IOException)
            {
                return false;
            }
        });

    private static bool IsSocketLike(string target) =>
        target.StartsWith("socket:", StringComparison.Ordinal) || target.StartsWith("anon_inode:", StringComparison.Ordinal);
}
