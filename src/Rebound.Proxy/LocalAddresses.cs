using System.Net;
using System.Net.NetworkInformation;

namespace Rebound.Proxy;

/// <summary>
/// The host's own addresses (in the calling thread's network namespace), to recognise a backend or a datagram source
/// that is the proxy itself. Loopback addresses are always local. <see cref="Cached"/> re-reads the list at most once a
/// second, so the event loop can ask without a system call per datagram.
/// </summary>
internal sealed class LocalAddresses
{
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(1);
    private HashSet<UdpEndPoint> _addresses = Read();
    private long _readAt = Environment.TickCount64;

    /// <summary>True when <paramref name="address"/> is one of this host's addresses right now.</summary>
    public static bool IsLocal(IPAddress address) =>
        IPAddress.IsLoopback(address) || Read().Contains(UdpEndPoint.FromIPAddress(address, 0).MapToIPv4());

    /// <summary>True when <paramref name="address"/> (any port) was one of this host's addresses at most a second ago.</summary>
    public bool Cached(UdpEndPoint address, long now)
    {
        address = address.MapToIPv4().WithPort(0).WithScopeId(0);
        if (IPAddress.IsLoopback(address.ToIPAddress()))
        {
            return true;
        }

        if (now - _readAt > (long)Refresh.TotalMilliseconds)
        {
            _addresses = Read();
            _readAt = now;
        }

        return _addresses.Contains(address);
    }

    private static HashSet<UdpEndPoint> Read()
    {
        var addresses = new HashSet<UdpEndPoint>();
        try
        {
            foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                foreach (UnicastIPAddressInformation unicast in nic.GetIPProperties().UnicastAddresses)
                {
                    var address = new IPAddress(unicast.Address.GetAddressBytes());   // without the scope id
                    addresses.Add(UdpEndPoint.FromIPAddress(address, 0).MapToIPv4());
                }
            }
        }
        catch (NetworkInformationException)
        {
            // Unreadable: only loopback counts as local then.
        }

        return addresses;
    }
}
