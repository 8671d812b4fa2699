using Rebound.Shield.Bpf;
using static Rebound.Shield.Bpf.BpfOpCodes;
using R = Rebound.Shield.Bpf.BpfRegister;

namespace Rebound.Shield.Programs;

/// <summary>
/// The cgroup_skb ingress program: for each UDP datagram the kernel delivers to a socket in the cgroup, addressed
/// to this host (PACKET_HOST) at a unicast address, records (peer, peer port, local port) → local address.
/// It only reads; it always returns 1, so nothing is ever dropped.
/// </summary>
internal static class IngressProgram
{
    // struct __sk_buff offsets (include/uapi/linux/bpf.h).
    private const short SkbPacketType = 4;
    private const short SkbProtocol = 16;
    private const short SkbIfIndex = 40;

    private const int PacketHost = 0;
    private const int EthernetIPv4 = 0x0008;   // htons(ETH_P_IP) as the u32 the context load gives
    private const int EthernetIPv6 = 0xdd86;   // htons(ETH_P_IPV6)
    private const int ProtocolUdp = 17;

    public static BpfInstruction[] Build(int addressMapFd, int counterMapFd)
    {
        const short h = ProgramSnippets.Header;
        const short udp = ProgramSnippets.UdpHeader;
        const short key = ProgramSnippets.Key;
        const short value = ProgramSnippets.Value;

        var code = new BpfAssembler()
            .Mov64(R.R6, R.R1)
            .Load(BpfSize.Word, R.R0, R.R6, SkbPacketType)
            .JumpIf(Jne, R.R0, PacketHost, "not_recorded")     // broadcast, multicast, other host, looped back
            .Load(BpfSize.Word, R.R7, R.R6, SkbProtocol)
            .JumpIf(Jeq, R.R7, EthernetIPv4, "ipv4")
            .JumpIf(Jeq, R.R7, EthernetIPv6, "ipv6")
            .Jump("out");

        // IPv4: header length from IHL, protocol UDP, destination neither multicast nor 255.255.255.255.
        code.Label("ipv4")
            .LoadPacket(0, h, 20)
            .Load(BpfSize.Byte, R.R1, R.R10, h)
            .Mov64(R.R2, R.R1)
            .Alu64(And, R.R2, 0xf0)
            .JumpIf(Jne, R.R2, 0x40, "not_recorded")
            .Alu64(And, R.R1, 0x0f)
            .Alu64(Lsh, R.R1, 2)
            .JumpIf(Jlt, R.R1, 20, "not_recorded")
            .Mov64(R.R7, R.R1)
            .Load(BpfSize.Byte, R.R1, R.R10, h + 9)
            .JumpIf(Jne, R.R1, ProtocolUdp, "out")             // TCP and the rest: not ours to look at
            .Load(BpfSize.Byte, R.R1, R.R10, h + 16)
            .Alu64(And, R.R1, 0xf0)
            .JumpIf(Jeq, R.R1, 0xe0, "not_recorded")            // 224.0.0.0/4
            .Load(BpfSize.Word, R.R8, R.R10, h + 16)
            .JumpIf32(Jeq, R.R8, -1, "not_recorded")            // 255.255.255.255
            .LoadPacketAt(R.R7, udp, 8)
            .StoreMappedPrefix(key)
            .Load(BpfSize.Word, R.R1, R.R10, h + 12)
            .Store(BpfSize.Word, R.R10, key + 12, R.R1)
            .StoreMappedPrefix(value)
            .Store(BpfSize.Word, R.R10, value + 12, R.R8)
            .Jump("ports");

        // IPv6: UDP directly after the fixed header (extension headers are not followed), destination not ff00::/8.
        code.Label("ipv6")
            .LoadPacket(0, h, 40)
            .Load(BpfSize.Byte, R.R1, R.R10, h)
            .Alu64(And, R.R1, 0xf0)
            .JumpIf(Jne, R.R1, 0x60, "not_recorded")
            .Load(BpfSize.Byte, R.R1, R.R10, h + 6)
            .JumpIf(Jne, R.R1, ProtocolUdp, "out")
            .Load(BpfSize.Byte, R.R1, R.R10, h + 24)
            .JumpIf(Jeq, R.R1, 0xff, "not_recorded")
            .Mov64(R.R7, 40)
            .LoadPacketAt(R.R7, udp, 8)
            .Load(BpfSize.Double, R.R1, R.R10, h + 8)
            .Store(BpfSize.Double, R.R10, key, R.R1)
            .Load(BpfSize.Double, R.R1, R.R10, h + 16)
            .Store(BpfSize.Double, R.R10, key + 8, R.R1)
            .Load(BpfSize.Double, R.R1, R.R10, h + 24)
            .Store(BpfSize.Double, R.R10, value, R.R1)
            .Load(BpfSize.Double, R.R1, R.R10, h + 32)
            .Store(BpfSize.Double, R.R10, value + 8, R.R1);

        // Ports and arrival interface, then record.
        code.Label("ports")
            .Load(BpfSize.Half, R.R1, R.R10, udp)
            .Store(BpfSize.Half, R.R10, key + ShieldMapLayout.PeerPortOffset, R.R1)
            .Load(BpfSize.Half, R.R1, R.R10, udp + 2)
            .ToBigEndian(R.R1, 16)
            .Store(BpfSize.Half, R.R10, key + ShieldMapLayout.LocalPortOffset, R.R1)
            .Load(BpfSize.Word, R.R1, R.R6, SkbIfIndex)
            .Store(BpfSize.Word, R.R10, value + ShieldMapLayout.IfIndexOffset, R.R1)
            .LoadMapFd(R.R1, addressMapFd)
            .StackPointer(R.R2, key)
            .Call(BpfHelper.MapLookupElement)
            .JumpIf(Jeq, R.R0, 0, "insert")
            .Load(BpfSize.Double, R.R1, R.R0, 0)
            .Load(BpfSize.Double, R.R2, R.R10, value)
            .JumpIf(Jne, R.R1, R.R2, "replaced")
            .Load(BpfSize.Double, R.R1, R.R0, 8)
            .Load(BpfSize.Double, R.R2, R.R10, value + 8)
            .JumpIf(Jne, R.R1, R.R2, "replaced")
            .Jump("recorded");                                  // same address: the lookup already refreshed it

        code.Label("replaced")
            .IncrementCounter(counterMapFd, ShieldCounter.Replaced)
            .Label("insert")
            .LoadMapFd(R.R1, addressMapFd)
            .StackPointer(R.R2, key)
            .StackPointer(R.R3, value)
            .Mov64(R.R4, 0)                                      // BPF_ANY
            .Call(BpfHelper.MapUpdateElement)
            .Label("recorded")
            .IncrementCounter(counterMapFd, ShieldCounter.Recorded)
            .Jump("out")
            .Label("not_recorded")
            .IncrementCounter(counterMapFd, ShieldCounter.NotRecorded)
            .Label("out")
            .ReturnAllow();

        return code.Build();
    }

    /// <summary>bpf_skb_load_bytes(skb, offset, stack + destination, length); a short packet goes to not_recorded.</summary>
    private static BpfAssembler LoadPacket(this BpfAssembler code, int offset, short destination, int length) => code
        .Mov64(R.R2, offset)
        .LoadPacketBody(destination, length);

    private static BpfAssembler LoadPacketAt(this BpfAssembler code, R offset, short destination, int length) => code
        .Mov64(R.R2, offset)
        .LoadPacketBody(destination, length);

    private static BpfAssembler LoadPacketBody(this BpfAssembler code, short destination, int length) => code
        .Mov64(R.R1, R.R6)
        .StackPointer(R.R3, destination)
        .Mov64(R.R4, length)
        .Call(BpfHelper.SkbLoadBytes)
        .JumpIf(Jne, R.R0, 0, "not_recorded");
}
