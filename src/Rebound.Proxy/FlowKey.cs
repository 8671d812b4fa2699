namespace Rebound.Proxy;

/// <summary>
/// What identifies a proxied flow: the client's address and port, and the local address and port it sent to. Keeping
/// the local address in the key means one client talking to two addresses of this host gets two flows, each answered
/// from its own address; two clients sharing an address still differ by port.
/// </summary>
internal readonly record struct FlowKey(UdpEndPoint Client, UdpEndPoint Local);
