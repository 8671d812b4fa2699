using Rebound.Shield.Bpf;
using Rebound.Shield.Interop;
using Rebound.Shield.Kernel;
using Rebound.Shield.Tests.Support;

namespace Rebound.Shield.Tests;

/// <summary>The running kernel's verifier accepts every shield program, and a refused program comes back with the verifier's log.</summary>
public class VerifierTests
{
    [BpfFact]
    public void The_kernel_accepts_all_three_programs()
    {
        using var objects = ShieldObjects.Load(capacity: 16);
        Assert.True(objects.Ingress.Fd.Value > 0);
        Assert.True(objects.SendIpv4.Fd.Value > 0);
        Assert.True(objects.SendIpv6.Fd.Value > 0);
    }

    [BpfFact]
    public void A_refused_program_reports_the_verifier_log()
    {
        // Returns without setting R0: the verifier must say so.
        var program = new BpfAssembler().Exit().Build();
        var error = Assert.Throws<BpfException>(() => BpfProgram.Load(BpfProgramType.CgroupSkb, BpfAttachType.CgroupInetIngress, program, "rb_bad"));
        Assert.NotNull(error.VerifierLog);
        Assert.Contains("R0", error.VerifierLog, StringComparison.Ordinal);
        Assert.Contains("verifier log", error.Message, StringComparison.Ordinal);
    }
}
