using CsCheck;
using Rebound.Shield.Bpf;
using static Rebound.Shield.Bpf.BpfOpCodes;
using R = Rebound.Shield.Bpf.BpfRegister;

namespace Rebound.Shield.Tests;

/// <summary>The emitter against encodings read off llvm-objdump / the kernel's own test programs.</summary>
public class AssemblerEncodingTests
{
    public static TheoryData<string, string> KnownEncodings => new()
    {
        { "r0 = 1", "b7 00 00 00 01 00 00 00" },
        { "exit", "95 00 00 00 00 00 00 00" },
        { "call 1", "85 00 00 00 01 00 00 00" },
        { "call 26", "85 00 00 00 1a 00 00 00" },
        { "r6 = r1", "bf 16 00 00 00 00 00 00" },
        { "w1 = -1", "b4 01 00 00 ff ff ff ff" },
        { "r2 = *(u32 *)(r1 + 76)", "61 12 4c 00 00 00 00 00" },
        { "r1 = *(u8 *)(r10 - 40)", "71 a1 d8 ff 00 00 00 00" },
        { "r1 = *(u16 *)(r10 - 48)", "69 a1 d0 ff 00 00 00 00" },
        { "r1 = *(u64 *)(r0 + 8)", "79 01 08 00 00 00 00 00" },
        { "*(u64 *)(r10 - 8) = r1", "7b 1a f8 ff 00 00 00 00" },
        { "*(u16 *)(r10 - 56) = r1", "6b 1a c8 ff 00 00 00 00" },
        { "*(u32 *)(r6 + 40) = r1", "63 16 28 00 00 00 00 00" },
        { "*(u32 *)(r10 - 4) = 0", "62 0a fc ff 00 00 00 00" },
        { "*(u64 *)(r10 - 72) = 0", "7a 0a b8 ff 00 00 00 00" },
        { "*(u16 *)(r10 - 62) = -1", "6a 0a c2 ff ff ff ff ff" },
        { "r2 += -8", "07 02 00 00 f8 ff ff ff" },
        { "r1 &= 240", "57 01 00 00 f0 00 00 00" },
        { "r1 <<= 2", "67 01 00 00 02 00 00 00" },
        { "r1 |= r2", "4f 21 00 00 00 00 00 00" },
        { "r1 = be16 r1", "dc 01 00 00 10 00 00 00" },
        { "r1 = map[fd 5]", "18 11 00 00 05 00 00 00 00 00 00 00 00 00 00 00" },
        { "r1 = 0x1122334455667788 ll", "18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11" },
    };

    [Theory]
    [MemberData(nameof(KnownEncodings))]
    public void Emits_the_kernel_encoding(string instruction, string hex)
    {
        var code = new BpfAssembler();
        _ = instruction switch
        {
            "r0 = 1" => code.Mov64(R.R0, 1),
            "exit" => code.Exit(),
            "call 1" => code.Call(BpfHelper.MapLookupElement),
            "call 26" => code.Call(BpfHelper.SkbLoadBytes),
            "r6 = r1" => code.Mov64(R.R6, R.R1),
            "w1 = -1" => code.Mov32(R.R1, -1),
            "r2 = *(u32 *)(r1 + 76)" => code.Load(BpfSize.Word, R.R2, R.R1, 76),
            "r1 = *(u8 *)(r10 - 40)" => code.Load(BpfSize.Byte, R.R1, R.R10, -40),
            "r1 = *(u16 *)(r10 - 48)" => code.Load(BpfSize.Half, R.R1, R.R10, -48),
            "r1 = *(u64 *)(r0 + 8)" => code.Load(BpfSize.Double, R.R1, R.R0, 8),
            "*(u64 *)(r10 - 8) = r1" => code.Store(BpfSize.Double, R.R10, -8, R.R1),
            "*(u16 *)(r10 - 56) = r1" => code.Store(BpfSize.Half, R.R10, -56, R.R1),
            "*(u32 *)(r6 + 40) = r1" => code.Store(BpfSize.Word, R.R6, 40, R.R1),
            "*(u32 *)(r10 - 4) = 0" => code.StoreImmediate(BpfSize.Word, R.R10, -4, 0),
            "*(u64 *)(r10 - 72) = 0" => code.StoreImmediate(BpfSize.Double, R.R10, -72, 0),
            "*(u16 *)(r10 - 62) = -1" => code.StoreImmediate(BpfSize.Half, R.R10, -62, -1),
            "r2 += -8" => code.Alu64(Add, R.R2, -8),
            "r1 &= 240" => code.Alu64(And, R.R1, 0xf0),
            "r1 <<= 2" => code.Alu64(Lsh, R.R1, 2),
            "r1 |= r2" => code.Alu64(Or, R.R1, R.R2),
            "r1 = be16 r1" => code.ToBigEndian(R.R1, 16),
            "r1 = map[fd 5]" => code.LoadMapFd(R.R1, 5),
            "r1 = 0x1122334455667788 ll" => code.LoadImmediate64(R.R1, 0x1122334455667788),
            _ => throw new ArgumentException(instruction),
        };

        Assert.Equal(hex, Hex(code.Encode()));
    }

    [Fact]
    public void Jumps_resolve_forward_and_backward_relative_to_the_next_instruction()
    {
        var code = new BpfAssembler()
            .Label("top")
            .JumpIf(Jeq, R.R0, 0, "end")        // 0: skips 1 and 2 → +2
            .Mov64(R.R0, 1)                     // 1
            .JumpIf(Jne, R.R1, R.R2, "top")     // 2: back to 0 → -3
            .Label("end")
            .JumpIf32(Jeq, R.R8, -1, "end")     // 3: to itself → -1
            .Exit();

        Assert.Equal(
            "15 00 02 00 00 00 00 00 b7 00 00 00 01 00 00 00 5d 21 fd ff 00 00 00 00 16 08 ff ff ff ff ff ff 95 00 00 00 00 00 00 00",
            Hex(code.Encode()));
    }

    [Fact]
    public void A_jump_over_a_64_bit_load_counts_both_halves()
    {
        var program = new BpfAssembler().Jump("after").LoadMapFd(R.R1, 3).Label("after").Exit().Build();
        Assert.Equal(2, program[0].Offset);
    }

    [Fact]
    public void Undefined_duplicate_and_dangling_labels_are_errors()
    {
        Assert.Throws<InvalidOperationException>(() => new BpfAssembler().Jump("nowhere").Exit().Build());
        Assert.Throws<InvalidOperationException>(() => new BpfAssembler().Label("a").Label("a"));
        Assert.Throws<InvalidOperationException>(() => new BpfAssembler().Jump("end").Label("end").Build());
        Assert.Throws<ArgumentOutOfRangeException>(() => new BpfAssembler().ToBigEndian(R.R1, 8));
    }

    [Fact]
    public void Every_instruction_round_trips_through_its_encoding() =>
        Gen.Select(Gen.Byte, Gen.Int[0, 10], Gen.Int[0, 10], Gen.Short, Gen.Int)
            .Sample((op, dst, src, off, imm) =>
            {
                var instruction = new BpfInstruction(op, (R)dst, (R)src, off, imm);
                var bytes = new byte[BpfInstruction.Size];
                instruction.WriteTo(bytes);
                return BpfInstruction.ReadFrom(bytes) == instruction && (bytes[1] & 0x0f) == dst && bytes[1] >> 4 == src;
            });

    internal static string Hex(byte[] bytes) => string.Join(' ', bytes.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
}
