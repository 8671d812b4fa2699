using System.Buffers.Binary;

namespace Rebound;

/// <summary>Host-to-network conversion for constants.</summary>
internal static class NetworkOrder
{
    public static uint ToNetworkOrder(this uint value) =>
        BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(value) : value;
}
