using System.Buffers.Binary;

namespace Rebound.Shield.Bpf;

/// <summary>
/// One eBPF instruction as the kernel reads it (<c>struct bpf_insn</c>, 8 bytes): opcode, destination and source
/// registers packed in one byte, a signed 16-bit offset and a signed 32-bit immediate. A 64-bit immediate load takes two.
/// </summary>
internal readonly record struct BpfInstruction(byte OpCode, BpfRegister Destination, BpfRegister Source, short Offset, int Immediate)
{
    public const int Size = 8;

    /// <summary>Writes the little-endian kernel encoding (x86_64 and arm64 are both little-endian).</summary>
    public void WriteTo(Span<byte> destination)
    {
        destination[0] = OpCode;
        destination[1] = (byte)(((int)Source << 4) | ((int)Destination & 0x0f));
        BinaryPrimitives.WriteInt16LittleEndian(destination[2..], Offset);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], Immediate);
    }

    public static BpfInstruction ReadFrom(ReadOnlySpan<byte> source) => new(
        source[0],
        (BpfRegister)(source[1] & 0x0f),
        (BpfRegister)(source[1] >> 4),
        BinaryPrimitives.ReadInt16LittleEndian(source[2..]),
        BinaryPrimitives.ReadInt32LittleEndian(source[4..]));

    public override string ToString() =>
        $"{OpCode:x2} dst=r{(int)Destination} src=r{(int)Source} off={Offset} imm={Immediate}";
}
