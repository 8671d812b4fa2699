using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Rebound.PerAddress;

/// <summary>
/// <see cref="SocketAddress"/> ↔ <see cref="UdpEndPoint"/> without allocating, on every OS .NET runs on. The family
/// field differs (Linux and Windows: a 16-bit family; macOS/BSD: a length byte then a family byte), which
/// <see cref="SocketAddress.Family"/> already handles; the rest of <c>sockaddr_in</c>/<c>sockaddr_in6</c> is the same
/// everywhere: port at offset 2 (network order), IPv4 address at 4, IPv6 address at 8, IPv6 scope id at 24.
/// </summary>
internal static class PortableSocketAddress
{
    private const int PortOffset = 2;
    private const int V4AddressOffset = 4;
    private const int V6AddressOffset = 8;
    private const int ScopeOffset = 24;

    /// <summary>Reads a received sender address; false for a family other than IPv4/IPv6 (nothing to answer).</summary>
    public static bool TryRead(SocketAddress address, out UdpEndPoint endpoint)
    {
        ReadOnlySpan<byte> bytes = address.Buffer.Span[..address.Size];
        switch (address.Family)
        {
            case AddressFamily.InterNetwork when bytes.Length >= V4AddressOffset + 4:
                endpoint = UdpEndPoint.FromIPv4(bytes.Slice(V4AddressOffset, 4), BinaryPrimitives.ReadUInt16BigEndian(bytes[PortOffset..]));
                return true;
            case AddressFamily.InterNetworkV6 when bytes.Length >= ScopeOffset + 4:
                endpoint = UdpEndPoint.FromIPv6(
                    bytes.Slice(V6AddressOffset, 16),
                    BinaryPrimitives.ReadUInt16BigEndian(bytes[PortOffset..]),
                    BitConverter.ToUInt32(bytes[ScopeOffset..]));
                return true;
            default:
                endpoint = default;
                return false;
        }
    }

    /// <summary>
    /// Writes <paramref name="endpoint"/> into <paramref name="address"/>, which must have been made for the
    /// endpoint's family (<see cref="ForFamily"/>).
    /// </summary>
    public static void Write(UdpEndPoint endpoint, SocketAddress address)
    {
        Span<byte> bytes = address.Buffer.Span;
        BinaryPrimitives.WriteUInt16BigEndian(bytes[PortOffset..], endpoint.Port);
        if (endpoint.IsIPv4)
        {
            endpoint.V4Bytes.CopyTo(bytes[V4AddressOffset..]);
        }
        else
        {
            bytes.Slice(V4AddressOffset, 4).Clear();   // flow info
            endpoint.Bytes.CopyTo(bytes[V6AddressOffset..]);
            BitConverter.TryWriteBytes(bytes[ScopeOffset..], endpoint.ScopeId);
        }
    }

    /// <summary>An empty address of the right size for <paramref name="family"/>, its family field set for this OS.</summary>
    public static SocketAddress ForFamily(AddressFamily family) =>
        new IPEndPoint(family == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0).Serialize();
}
