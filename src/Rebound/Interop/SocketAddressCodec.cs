using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using static Rebound.Interop.LinuxConstants;

namespace Rebound.Interop;

/// <summary>Encodes and decodes <c>sockaddr_in</c> / <c>sockaddr_in6</c> bytes. Pure: no native calls.</summary>
internal static class SocketAddressCodec
{
    /// <summary>Room for either address structure.</summary>
    public const int MaxSize = SizeOfSockAddrIn6;

    /// <summary>Writes <paramref name="endpoint"/> as the given socket family wants it; returns the length written.</summary>
    /// <remarks>An AF_INET6 socket addresses IPv4 peers through their v4-mapped form.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Write(UdpEndPoint endpoint, int socketFamily, Span<byte> destination)
    {
        if (socketFamily == AF_INET)
        {
            if (!endpoint.IsIPv4 && !endpoint.IsIPv4MappedToIPv6)
            {
                throw new ArgumentException($"An IPv4 socket cannot send to the IPv6 address {endpoint}.", nameof(endpoint));
            }

            Span<byte> sin = destination[..SizeOfSockAddrIn];
            sin.Clear();
            BinaryPrimitives.WriteUInt16LittleEndian(sin, AF_INET);
            BinaryPrimitives.WriteUInt16BigEndian(sin[2..], endpoint.Port);
            endpoint.V4Bytes.CopyTo(sin[4..]);
            return SizeOfSockAddrIn;
        }

        Span<byte> sin6 = destination[..SizeOfSockAddrIn6];
        sin6.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(sin6, AF_INET6);
        BinaryPrimitives.WriteUInt16BigEndian(sin6[2..], endpoint.Port);
        endpoint.Bytes.CopyTo(sin6[8..]);
        BinaryPrimitives.WriteUInt32LittleEndian(sin6[24..], endpoint.IsIPv4 ? 0 : endpoint.ScopeId);
        return SizeOfSockAddrIn6;
    }

    /// <summary>Reads a socket address the kernel filled in. Returns false for a family or length it does not know.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryRead(ReadOnlySpan<byte> source, out UdpEndPoint endpoint)
    {
        endpoint = default;
        if (source.Length < 2)
        {
            return false;
        }

        ushort family = BinaryPrimitives.ReadUInt16LittleEndian(source);
        if (family == AF_INET && source.Length >= SizeOfSockAddrIn)
        {
            endpoint = UdpEndPoint.FromIPv4(source.Slice(4, 4), BinaryPrimitives.ReadUInt16BigEndian(source[2..]));
            return true;
        }

        if (family == AF_INET6 && source.Length >= SizeOfSockAddrIn6)
        {
            endpoint = UdpEndPoint.FromIPv6(
                source.Slice(8, 16),
                BinaryPrimitives.ReadUInt16BigEndian(source[2..]),
                BinaryPrimitives.ReadUInt32LittleEndian(source[24..]));
            return true;
        }

        return false;
    }
}
