using static Rebound.Capture.CaptureInterop;

namespace Rebound.Capture;

/// <summary>
/// The classic BPF program attached to a capture socket (SO_ATTACH_FILTER), so the kernel drops everything but UDP,
/// ICMP and ICMPv6 before it reaches user space: on a busy host TCP never costs trace a system call. It reads the
/// packet from its network header (AF_PACKET SOCK_DGRAM). IPv6 packets whose first next header is an extension header
/// (hop-by-hop, routing, fragment, destination options) pass too: the decoder walks those.
/// </summary>
internal static class CaptureFilter
{
    private const ushort LoadByte = 0x30;   // BPF_LD | BPF_B | BPF_ABS
    private const ushort And = 0x54;        // BPF_ALU | BPF_AND | BPF_K
    private const ushort JumpIfEqual = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
    private const ushort Return = 0x06;     // BPF_RET | BPF_K

    /// <summary>The program; index 14 rejects, 15 accepts the whole packet.</summary>
    public static FilterInstruction[] Program() =>
    [
        new(LoadByte, 0, 0, 0),             // 0: A = version/IHL byte
        new(And, 0, 0, 0xF0),               // 1: A = version << 4
        new(JumpIfEqual, 0, 3, 0x40),       // 2: IPv4? else 6
        new(LoadByte, 0, 0, 9),             // 3: A = IPv4 protocol
        new(JumpIfEqual, 10, 0, 17),        // 4: UDP → accept
        new(JumpIfEqual, 9, 8, 1),          // 5: ICMP → accept, else reject
        new(JumpIfEqual, 0, 7, 0x60),       // 6: IPv6? else reject
        new(LoadByte, 0, 0, 6),             // 7: A = IPv6 next header
        new(JumpIfEqual, 6, 0, 17),         // 8: UDP
        new(JumpIfEqual, 5, 0, 58),         // 9: ICMPv6
        new(JumpIfEqual, 4, 0, 44),         // 10: fragment
        new(JumpIfEqual, 3, 0, 0),          // 11: hop-by-hop
        new(JumpIfEqual, 2, 0, 43),         // 12: routing
        new(JumpIfEqual, 1, 0, 60),         // 13: destination options, else reject
        new(Return, 0, 0, 0),               // 14: reject
        new(Return, 0, 0, 0x40000),         // 15: accept (up to 256 KiB)
    ];
}
