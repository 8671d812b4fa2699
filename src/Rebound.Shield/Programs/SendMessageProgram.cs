using System.Net.Sockets;
using Rebound.Shield.Bpf;
using static Rebound.Shield.Bpf.BpfOpCodes;
using R = Rebound.Shield.Bpf.BpfRegister;

namespace Rebound.Shield.Programs;

/// <summary>
/// The cgroup_sock_addr programs for UDP4_SENDMSG and UDP6_SENDMSG. The kernel runs them only for unconnected sends.
/// When the application chose no source (msg_src_ip4/msg_src_ip6 still zero: no IP_PKTINFO, no bound address),
/// they look up (destination, destination port, the socket's local port) and set the source to the address that
/// peer sent to. A dual-stack socket's send to ::ffff:a.b.c.d reaches the IPv4 program. They always return 1.
/// </summary>
internal static class SendMessageProgram
{
    // struct bpf_sock_addr offsets.
    private const short UserIp4 = 4;
    private const short UserIp6 = 8;
    private const short UserPort = 24;
    private const short MessageSourceIp4 = 40;
    private const short MessageSourceIp6 = 44;
    private const short Socket = 64;

    // struct bpf_sock: src_port, host byte order.
    private const short SocketSourcePort = 44;

    public static BpfInstruction[] Build(AddressFamily family, int addressMapFd, int counterMapFd)
    {
        const short key = ProgramSnippets.Key;
        var code = new BpfAssembler().Mov64(R.R6, R.R1);

        if (family == AddressFamily.InterNetwork)
        {
            code.Load(BpfSize.Word, R.R1, R.R6, MessageSourceIp4)
                .JumpIf(Jne, R.R1, 0, "application_chose")
                .StoreMappedPrefix(key)
                .Load(BpfSize.Word, R.R1, R.R6, UserIp4)
                .Store(BpfSize.Word, R.R10, key + 12, R.R1);
        }
        else if (family == AddressFamily.InterNetworkV6)
        {
            code.Load(BpfSize.Word, R.R1, R.R6, MessageSourceIp6);
            for (short i = 4; i < 16; i += 4)
            {
                code.Load(BpfSize.Word, R.R2, R.R6, (short)(MessageSourceIp6 + i))
                    .Alu64(Or, R.R1, R.R2);
            }

            code.JumpIf(Jne, R.R1, 0, "application_chose");
            for (short i = 0; i < 16; i += 4)
            {
                code.Load(BpfSize.Word, R.R1, R.R6, (short)(UserIp6 + i))
                    .Store(BpfSize.Word, R.R10, (short)(key + i), R.R1);
            }
        }
        else
        {
            throw new ArgumentOutOfRangeException(nameof(family), family, "the shield handles IPv4 and IPv6");
        }

        code.Load(BpfSize.Word, R.R1, R.R6, UserPort)
            .Store(BpfSize.Half, R.R10, key + ShieldMapLayout.PeerPortOffset, R.R1)
            .Load(BpfSize.Double, R.R1, R.R6, Socket)
            .Load(BpfSize.Word, R.R1, R.R1, SocketSourcePort)
            .Store(BpfSize.Half, R.R10, key + ShieldMapLayout.LocalPortOffset, R.R1)
            .LoadMapFd(R.R1, addressMapFd)
            .StackPointer(R.R2, key)
            .Call(BpfHelper.MapLookupElement)
            .JumpIf(Jeq, R.R0, 0, "missed");

        if (family == AddressFamily.InterNetwork)
        {
            code.Load(BpfSize.Word, R.R1, R.R0, 12)
                .Store(BpfSize.Word, R.R6, MessageSourceIp4, R.R1);
        }
        else
        {
            // fe80::/10: the send's scope id (its outgoing link) is invisible here, and the kernel already picks that
            // link's link-local address, so leave it (setting another link's address would be wrong).
            code.Load(BpfSize.Byte, R.R1, R.R0, 0)
                .JumpIf(Jne, R.R1, 0xfe, "set_ipv6")
                .Load(BpfSize.Byte, R.R1, R.R0, 1)
                .Alu64(And, R.R1, 0xc0)
                .JumpIf(Jeq, R.R1, 0x80, "link_local")
                .Label("set_ipv6");
            for (short i = 0; i < 16; i += 4)
            {
                code.Load(BpfSize.Word, R.R1, R.R0, i)
                    .Store(BpfSize.Word, R.R6, (short)(MessageSourceIp6 + i), R.R1);
            }
        }

        code.IncrementCounter(counterMapFd, ShieldCounter.SourceSet)
            .Jump("out")
            .Label("application_chose")
            .IncrementCounter(counterMapFd, ShieldCounter.ApplicationChose)
            .Jump("out")
            .Label("missed")
            .IncrementCounter(counterMapFd, ShieldCounter.Missed)
            .Jump("out");

        if (family == AddressFamily.InterNetworkV6)
        {
            code.Label("link_local")
                .IncrementCounter(counterMapFd, ShieldCounter.LinkLocalLeftToKernel);
        }

        return code.Label("out").ReturnAllow().Build();
    }
}
