using System.Net;
using Rebound.Proxy;

namespace Rebound.Cli.Lab;

/// <summary>
/// The lab's proxy row: a <see cref="UdpProxy"/> fronting a naive server that cannot be changed. Start it inside the
/// host namespace; disposing stops it.
/// </summary>
internal sealed class LabProxy : IDisposable
{
    private readonly UdpProxy _proxy;

    private LabProxy(UdpProxy proxy) => _proxy = proxy;

    /// <summary>The front port clients talk to.</summary>
    public int Port => _proxy.ListenEndPoints[0].Port;

    public static LabProxy Start(IPEndPoint front, IPEndPoint backend)
    {
        var proxy = new UdpProxy(new ProxyOptions { Listen = [front], Backends = [backend] });
        proxy.Start();
        return new LabProxy(proxy);
    }

    public void Dispose() => _proxy.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
