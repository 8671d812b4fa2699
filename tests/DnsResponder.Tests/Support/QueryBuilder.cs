using System.Buffers.Binary;
using System.Text;

namespace DnsResponder.Tests.Support;

/// <summary>Builds queries the way dig lays them out, with knobs for the cases dig will not send.</summary>
internal static class QueryBuilder
{
    public static byte[] Build(
        string name,
        ushort type = 1,
        ushort id = 0x1234,
        bool recursionDesired = true,
        int? ednsSize = null,
        byte ednsVersion = 0,
        int opcode = 0,
        ushort @class = 1)
    {
        var bytes = new List<byte>();
        Add16(bytes, id);
        Add16(bytes, (ushort)((opcode << 11) | (recursionDesired ? 0x0100 : 0)));
        Add16(bytes, 1);
        Add16(bytes, 0);
        Add16(bytes, 0);
        Add16(bytes, (ushort)(ednsSize is null ? 0 : 1));
        bytes.AddRange(EncodeName(name));
        Add16(bytes, type);
        Add16(bytes, @class);
        if (ednsSize is int size)
        {
            bytes.Add(0);
            Add16(bytes, 41);
            Add16(bytes, (ushort)size);
            bytes.AddRange([0, ednsVersion, 0, 0]);
            Add16(bytes, 0);
        }

        return [.. bytes];
    }

    public static byte[] EncodeName(string name)
    {
        var bytes = new List<byte>();
        foreach (string label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }

        bytes.Add(0);
        return [.. bytes];
    }

    private static void Add16(List<byte> bytes, ushort value)
    {
        Span<byte> buffer = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(buffer, value);
        bytes.AddRange(buffer);
    }
}
