using Rebound.Shield.Bpf;
using static Rebound.Shield.Bpf.BpfOpCodes;
using R = Rebound.Shield.Bpf.BpfRegister;

namespace Rebound.Shield.Programs;

/// <summary>Instruction sequences every shield program uses, and the stack frame they share.</summary>
internal static class ProgramSnippets
{
    /// <summary>The packet's IP header (up to the 40 bytes of IPv6) read by bpf_skb_load_bytes.</summary>
    public const short Header = -40;

    /// <summary>The 8-byte UDP header.</summary>
    public const short UdpHeader = -48;

    /// <summary>The map key being built (<see cref="ShieldMapLayout.KeySize"/> bytes).</summary>
    public const short Key = -72;

    /// <summary>The map value being built (<see cref="ShieldMapLayout.ValueSize"/> bytes).</summary>
    public const short Value = -96;

    /// <summary>The u32 index of the counter to bump.</summary>
    public const short CounterIndex = -104;

    /// <summary>Adds one to this CPU's slot of <paramref name="counter"/>. Clobbers R0–R5.</summary>
    public static BpfAssembler IncrementCounter(this BpfAssembler code, int counterMapFd, ShieldCounter counter)
    {
        string done = $"counted_{code.Count}";
        return code
            .StoreImmediate(BpfSize.Word, R.R10, CounterIndex, (int)counter)
            .LoadMapFd(R.R1, counterMapFd)
            .Mov64(R.R2, R.R10)
            .Alu64(Add, R.R2, CounterIndex)
            .Call(BpfHelper.MapLookupElement)
            .JumpIf(Jeq, R.R0, 0, done)
            .Load(BpfSize.Double, R.R1, R.R0, 0)
            .Alu64(Add, R.R1, 1)
            .Store(BpfSize.Double, R.R0, 0, R.R1)
            .Label(done);
    }

    /// <summary>Writes <c>::ffff:</c> (the first 12 bytes of an IPv4-mapped address) at <paramref name="offset"/> on the stack.</summary>
    public static BpfAssembler StoreMappedPrefix(this BpfAssembler code, short offset) => code
        .StoreImmediate(BpfSize.Double, R.R10, offset, 0)
        .StoreImmediate(BpfSize.Half, R.R10, (short)(offset + 8), 0)
        .StoreImmediate(BpfSize.Half, R.R10, (short)(offset + 10), -1);

    /// <summary>Sets R1 = pointer to the stack at <paramref name="offset"/> into <paramref name="register"/>.</summary>
    public static BpfAssembler StackPointer(this BpfAssembler code, R register, short offset) => code
        .Mov64(register, R.R10)
        .Alu64(Add, register, offset);

    /// <summary>Returns 1 (let the packet or the send through): the shield never drops or refuses anything.</summary>
    public static BpfAssembler ReturnAllow(this BpfAssembler code) => code.Mov64(R.R0, 1).Exit();
}
