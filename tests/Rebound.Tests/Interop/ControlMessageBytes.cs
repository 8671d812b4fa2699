using System.Buffers.Binary;
using System.Net;
using Rebound.Interop;

namespace Rebound.Tests.Interop;

/// <summary>Builds control buffers byte by byte, as the kernel lays them out, to feed the decoder in tests.</summary>
internal static class ControlMessageBytes
{
    public static byte[] InPacketInfo(int ifindex, string specDst, string addr) =>
        Message(0, 8, [.. Int32(ifindex), .. IPAddress.Parse(specDst).GetAddressBytes(), .. IPAddress.Parse(addr).GetAddressBytes()]);

    public static byte[] In6PacketInfo(string addr, int ifindex) =>
        Message(41, 50, [.. IPAddress.Parse(addr).GetAddressBytes(), .. Int32(ifindex)]);

    /// <summary>SO_RXQ_OVFL (SOL_SOCKET, 40), a message Rebound does not ask for and must skip.</summary>
    public static byte[] DropCounter(uint drops) => Message(1, 40, Int32((int)drops));

    /// <summary>One cmsg: 8-byte length, level, type, data, padded to 8.</summary>
    public static byte[] Message(int level, int type, byte[] data, ulong? lengthOverride = null)
    {
        byte[] bytes = new byte[ControlMessages.Space(data.Length)];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, lengthOverride ?? (ulong)ControlMessages.Length(data.Length));
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), level);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), type);
        data.CopyTo(bytes, 16);
        return bytes;
    }

    public static byte[] SockAddrIn(string address, ushort port)
    {
        byte[] bytes = new byte[16];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, 2);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), port);
        IPAddress.Parse(address).GetAddressBytes().CopyTo(bytes, 4);
        return bytes;
    }

    public static byte[] SockAddrIn6(string address, ushort port, uint scope = 0)
    {
        byte[] bytes = new byte[28];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, 10);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), port);
        IPAddress.Parse(address).GetAddressBytes().CopyTo(bytes, 8);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(24), scope);
        return bytes;
    }

    private static byte[] Int32(int value)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return bytes;
    }
}
