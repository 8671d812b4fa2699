using System.Buffers.Binary;
using System.Net;
using Rebound.Shield.Programs;

namespace Rebound.Shield;

/// <summary>One recording: <see cref="Peer"/> sent to <see cref="LocalAddress"/> on <see cref="LocalPort"/>, so replies to it leave from there.</summary>
public sealed record ShieldEntry(IPEndPoint Peer, int LocalPort, IPAddress LocalAddress, int IfIndex)
{
    internal static ShieldEntry Decode(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var peer = Unmap(new IPAddress(key[..16]));
        int peerPort = BinaryPrimitives.ReadUInt16BigEndian(key[ShieldMapLayout.PeerPortOffset..]);
        int localPort = BinaryPrimitives.ReadUInt16LittleEndian(key[ShieldMapLayout.LocalPortOffset..]);
        var local = Unmap(new IPAddress(value[..16]));
        int ifIndex = BinaryPrimitives.ReadInt32LittleEndian(value[ShieldMapLayout.IfIndexOffset..]);
        return new ShieldEntry(new IPEndPoint(peer, peerPort), localPort, local, ifIndex);
    }

    private static IPAddress Unmap(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
