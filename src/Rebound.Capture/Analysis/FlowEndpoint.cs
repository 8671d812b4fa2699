using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Rebound.Capture.Analysis;

/// <summary>An address and UDP port as seen in a capture: the unit flows are keyed by (value equality, hashable).</summary>
public readonly record struct FlowEndpoint(IPAddress Address, ushort Port)
{
    /// <summary>"192.0.2.3:45167" or "[2001:db8:2::3]:45167".</summary>
    public override string ToString() =>
        Address.AddressFamily == AddressFamily.InterNetworkV6
            ? string.Create(CultureInfo.InvariantCulture, $"[{Address}]:{Port}")
            : string.Create(CultureInfo.InvariantCulture, $"{Address}:{Port}");

    /// <summary>Multicast and broadcast destinations are answered from a unicast address by design, so they are not flows to judge.</summary>
    public bool IsGroupAddress
    {
        get
        {
            if (Address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                return Address.IsIPv6Multicast;
            }

            Span<byte> bytes = stackalloc byte[4];
            return Address.TryWriteBytes(bytes, out _) && (bytes[0] >= 224 || Address.Equals(IPAddress.Broadcast));
        }
    }
}
