using Rebound.Cli.Infrastructure;
using Rebound.Cli.Tests.Support;
using Rebound.Lab;

namespace Rebound.Cli.Tests.Commands;

public sealed class PermissionTests
{
    [RootFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void A_privileged_port_without_privileges_is_exit_code_4_with_a_hint()
    {
        // As "nobody", binding port 53 is refused by the kernel, as for an ordinary user.
        ProcessResult result = UnprivilegedCli.Run("echo", "-l", "0.0.0.0:53");

        Assert.True(result.ExitCode == 4, result.StandardOutput + result.StandardError);
        Assert.Contains("permission denied", result.StandardError, StringComparison.Ordinal);
    }
}
