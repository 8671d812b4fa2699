using System.Net.Sockets;

namespace Rebound.Proxy;

/// <summary>
/// One client's conversation through the proxy: its own upstream socket, connected to the chosen backend (so the
/// kernel accepts replies only from that backend), and the first request as received, whose destination address is
/// the source of every reply to this client.
/// </summary>
internal sealed class ProxyFlow(FlowKey key, ReceivedDatagram request, int front, Socket upstream, int slot) : FlowEntry(key)
{
    private readonly ReceivedDatagram _request = request;

    /// <summary>The datagram that opened the flow; replies go back with <see cref="ReboundSocket.Reply"/> on it.</summary>
    public ref readonly ReceivedDatagram Request => ref _request;

    /// <summary>Which front socket the client talks to.</summary>
    public int Front { get; } = front;

    public Socket Upstream { get; } = upstream;

    /// <summary>The upstream socket's file descriptor, as registered with epoll.</summary>
    public int UpstreamFd { get; } = (int)upstream.SafeHandle.DangerousGetHandle();

    /// <summary>True while a datagram forwarded to the backend has had no reply yet (what a graceful stop waits for).</summary>
    public bool AwaitingReply { get; set; }

    /// <summary>This flow's index in the proxy's slot array (its epoll token).</summary>
    public int Slot { get; } = slot;
}
