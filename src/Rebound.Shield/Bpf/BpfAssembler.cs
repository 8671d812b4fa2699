using static Rebound.Shield.Bpf.BpfOpCodes;

namespace Rebound.Shield.Bpf;

/// <summary>
/// Emits eBPF instructions with named jump targets, so the shield's programs are written in C# and need no compiler
/// at build time. Labels resolve to the relative offsets the kernel wants when <see cref="Build"/> is called.
/// </summary>
internal sealed class BpfAssembler
{
    private readonly List<BpfInstruction> _code = [];
    private readonly Dictionary<string, int> _labels = new(StringComparer.Ordinal);
    private readonly List<(int Index, string Label)> _jumps = [];

    /// <summary>Instructions emitted so far (a 64-bit immediate load counts two).</summary>
    public int Count => _code.Count;

    public BpfAssembler Mov64(BpfRegister destination, int immediate) =>
        Emit(ClassAlu64 | Mov | SourceK, destination, BpfRegister.R0, 0, immediate);

    public BpfAssembler Mov64(BpfRegister destination, BpfRegister source) =>
        Emit(ClassAlu64 | Mov | SourceX, destination, source, 0, 0);

    /// <summary>32-bit move: the upper half of the register is zeroed, so <c>Mov32(r, -1)</c> is 0xffffffff.</summary>
    public BpfAssembler Mov32(BpfRegister destination, int immediate) =>
        Emit(ClassAlu | Mov | SourceK, destination, BpfRegister.R0, 0, immediate);

    public BpfAssembler Alu64(byte operation, BpfRegister destination, int immediate) =>
        Emit((byte)(ClassAlu64 | operation | SourceK), destination, BpfRegister.R0, 0, immediate);

    public BpfAssembler Alu64(byte operation, BpfRegister destination, BpfRegister source) =>
        Emit((byte)(ClassAlu64 | operation | SourceX), destination, source, 0, 0);

    /// <summary>Converts the low <paramref name="bits"/> (16, 32 or 64) of a register to big-endian (a swap on this CPU).</summary>
    public BpfAssembler ToBigEndian(BpfRegister destination, int bits)
    {
        if (bits is not (16 or 32 or 64))
        {
            throw new ArgumentOutOfRangeException(nameof(bits), bits, "byte swaps are 16, 32 or 64 bits wide");
        }

        return Emit(ClassAlu | End | BpfOpCodes.ToBigEndian, destination, BpfRegister.R0, 0, bits);
    }

    /// <summary><c>destination = *(size *)(source + offset)</c></summary>
    public BpfAssembler Load(BpfSize size, BpfRegister destination, BpfRegister source, short offset) =>
        Emit((byte)(ClassLdx | ModeMem | (byte)size), destination, source, offset, 0);

    /// <summary><c>*(size *)(destination + offset) = source</c></summary>
    public BpfAssembler Store(BpfSize size, BpfRegister destination, short offset, BpfRegister source) =>
        Emit((byte)(ClassStx | ModeMem | (byte)size), destination, source, offset, 0);

    /// <summary><c>*(size *)(destination + offset) = immediate</c></summary>
    public BpfAssembler StoreImmediate(BpfSize size, BpfRegister destination, short offset, int immediate) =>
        Emit((byte)(ClassSt | ModeMem | (byte)size), destination, BpfRegister.R0, offset, immediate);

    /// <summary>Loads a map's file descriptor; the kernel replaces it with the map's address when it loads the program.</summary>
    public BpfAssembler LoadMapFd(BpfRegister destination, int mapFd)
    {
        Emit(ClassLd | ModeImm | SizeDW, destination, (BpfRegister)PseudoMapFd, 0, mapFd);
        return Emit(0, BpfRegister.R0, BpfRegister.R0, 0, 0);
    }

    public BpfAssembler LoadImmediate64(BpfRegister destination, long value)
    {
        Emit(ClassLd | ModeImm | SizeDW, destination, BpfRegister.R0, 0, unchecked((int)value));
        return Emit(0, BpfRegister.R0, BpfRegister.R0, 0, (int)(value >> 32));
    }

    public BpfAssembler Call(BpfHelper helper) =>
        Emit(ClassJmp | BpfOpCodes.Call, BpfRegister.R0, BpfRegister.R0, 0, (int)helper);

    public BpfAssembler Exit() => Emit(ClassJmp | BpfOpCodes.Exit, BpfRegister.R0, BpfRegister.R0, 0, 0);

    /// <summary>Unconditional jump to <paramref name="label"/>.</summary>
    public BpfAssembler Jump(string label) => EmitJump(ClassJmp | Ja, BpfRegister.R0, BpfRegister.R0, 0, label);

    /// <summary>64-bit compare of a register with an immediate (sign-extended), e.g. <see cref="BpfOpCodes.Jeq"/>.</summary>
    public BpfAssembler JumpIf(byte operation, BpfRegister register, int immediate, string label) =>
        EmitJump((byte)(ClassJmp | operation | SourceK), register, BpfRegister.R0, immediate, label);

    /// <summary>64-bit compare of two registers.</summary>
    public BpfAssembler JumpIf(byte operation, BpfRegister register, BpfRegister other, string label) =>
        EmitJump((byte)(ClassJmp | operation | SourceX), register, other, 0, label);

    /// <summary>Compare of the low 32 bits with an immediate (JMP32, Linux 5.1).</summary>
    public BpfAssembler JumpIf32(byte operation, BpfRegister register, int immediate, string label) =>
        EmitJump((byte)(ClassJmp32 | operation | SourceK), register, BpfRegister.R0, immediate, label);

    /// <summary>Marks where the next instruction will be; jumps to it may come before or after.</summary>
    public BpfAssembler Label(string name)
    {
        if (!_labels.TryAdd(name, _code.Count))
        {
            throw new InvalidOperationException($"label '{name}' is defined twice");
        }

        return this;
    }

    /// <summary>Resolves every jump and returns the program; unknown labels and out-of-range jumps throw.</summary>
    public BpfInstruction[] Build()
    {
        var program = _code.ToArray();
        foreach ((int index, string label) in _jumps)
        {
            if (!_labels.TryGetValue(label, out int target))
            {
                throw new InvalidOperationException($"jump to undefined label '{label}'");
            }

            if (target >= program.Length)
            {
                throw new InvalidOperationException($"label '{label}' marks no instruction");
            }

            int offset = target - (index + 1);
            if (offset is < short.MinValue or > short.MaxValue)
            {
                throw new InvalidOperationException($"jump to '{label}' is out of range");
            }

            program[index] = program[index] with { Offset = (short)offset };
        }

        return program;
    }

    /// <summary>The program as the bytes <c>BPF_PROG_LOAD</c> takes.</summary>
    public byte[] Encode() => Encode(Build());

    public static byte[] Encode(IReadOnlyList<BpfInstruction> program)
    {
        byte[] bytes = new byte[program.Count * BpfInstruction.Size];
        for (int i = 0; i < program.Count; i++)
        {
            program[i].WriteTo(bytes.AsSpan(i * BpfInstruction.Size));
        }

        return bytes;
    }

    private BpfAssembler EmitJump(byte opCode, BpfRegister destination, BpfRegister source, int immediate, string label)
    {
        _jumps.Add((_code.Count, label));
        return Emit(opCode, destination, source, 0, immediate);
    }

    private BpfAssembler Emit(int opCode, BpfRegister destination, BpfRegister source, short offset, int immediate)
    {
        _code.Add(new BpfInstruction((byte)opCode, destination, source, offset, immediate));
        return this;
    }
}
