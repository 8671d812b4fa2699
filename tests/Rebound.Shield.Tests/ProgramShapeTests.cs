using System.Net.Sockets;
using Rebound.Shield.Bpf;
using Rebound.Shield.Programs;

namespace Rebound.Shield.Tests;

/// <summary>Checks the kernel would also make, without a kernel: every jump lands on an instruction, never inside a 64-bit load.</summary>
public class ProgramShapeTests
{
    public static TheoryData<string> Programs => new() { "ingress", "sendmsg4", "sendmsg6" };

    [Theory]
    [MemberData(nameof(Programs))]
    public void Jumps_land_on_instruction_boundaries_and_the_program_ends_in_exit(string name)
    {
        BpfInstruction[] program = Build(name);
        var secondHalves = new HashSet<int>();
        for (int i = 0; i < program.Length; i++)
        {
            if (program[i].OpCode == 0x18)
            {
                secondHalves.Add(++i);
            }
        }

        for (int i = 0; i < program.Length; i++)
        {
            if (secondHalves.Contains(i))
            {
                continue;
            }

            byte op = program[i].OpCode;
            int cls = op & 0x07;
            bool isJump = (cls is 0x05 or 0x06) && (op & 0xf0) is not (0x80 or 0x90);
            if (isJump)
            {
                int target = i + 1 + program[i].Offset;
                Assert.InRange(target, 0, program.Length - 1);
                Assert.DoesNotContain(target, secondHalves);
            }
        }

        Assert.Equal(0x95, program[^1].OpCode);
        Assert.Contains(program, p => p.OpCode == 0x18 && p.Immediate == 101);   // the address map
        Assert.Contains(program, p => p.OpCode == 0x18 && p.Immediate == 102);   // the counters
    }

    private static BpfInstruction[] Build(string name) => name switch
    {
        "ingress" => IngressProgram.Build(101, 102),
        "sendmsg4" => SendMessageProgram.Build(AddressFamily.InterNetwork, 101, 102),
        _ => SendMessageProgram.Build(AddressFamily.InterNetworkV6, 101, 102),
    };
}
