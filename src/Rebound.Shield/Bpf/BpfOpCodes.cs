namespace Rebound.Shield.Bpf;

/// <summary>The opcode bits of the eBPF instruction set (include/uapi/linux/bpf_common.h and bpf.h).</summary>
internal static class BpfOpCodes
{
    // Instruction classes (low 3 bits).
    public const byte ClassLd = 0x00;
    public const byte ClassLdx = 0x01;
    public const byte ClassSt = 0x02;
    public const byte ClassStx = 0x03;
    public const byte ClassAlu = 0x04;
    public const byte ClassJmp = 0x05;
    public const byte ClassJmp32 = 0x06;
    public const byte ClassAlu64 = 0x07;

    // Load/store sizes and modes.
    public const byte SizeW = 0x00;
    public const byte SizeH = 0x08;
    public const byte SizeB = 0x10;
    public const byte SizeDW = 0x18;
    public const byte ModeImm = 0x00;
    public const byte ModeMem = 0x60;

    // Operand source: the immediate (K) or the source register (X).
    public const byte SourceK = 0x00;
    public const byte SourceX = 0x08;

    // ALU operations.
    public const byte Add = 0x00;
    public const byte Sub = 0x10;
    public const byte Or = 0x40;
    public const byte And = 0x50;
    public const byte Lsh = 0x60;
    public const byte Rsh = 0x70;
    public const byte Xor = 0xa0;
    public const byte Mov = 0xb0;
    public const byte End = 0xd0;
    public const byte ToBigEndian = 0x08;

    // Jump operations.
    public const byte Ja = 0x00;
    public const byte Jeq = 0x10;
    public const byte Jgt = 0x20;
    public const byte Jge = 0x30;
    public const byte Jset = 0x40;
    public const byte Jne = 0x50;
    public const byte Jlt = 0xa0;
    public const byte Jle = 0xb0;
    public const byte Call = 0x80;
    public const byte Exit = 0x90;

    /// <summary>src_reg of a 64-bit immediate load whose immediate is a map file descriptor.</summary>
    public const byte PseudoMapFd = 1;
}

/// <summary>Access widths of loads and stores.</summary>
internal enum BpfSize : byte
{
    Byte = BpfOpCodes.SizeB,
    Half = BpfOpCodes.SizeH,
    Word = BpfOpCodes.SizeW,
    Double = BpfOpCodes.SizeDW,
}

/// <summary>The kernel helper functions the shield calls (their numbers are stable ABI).</summary>
internal enum BpfHelper
{
    MapLookupElement = 1,
    MapUpdateElement = 2,
    SkbLoadBytes = 26,
}
