using Rebound.Cli.Infrastructure;
using Rebound.Cli.Tests.Support;

namespace Rebound.Cli.Tests.Commands;

public sealed class PermissionTests
{
    [RootFact]
    public void A_privileged_port_without_privileges_is_exit_code_4_with_a_hint()
    {
        // Run the CLI as "nobody" so that binding port 53 is refused by the kernel, as for an ordinary user. The build
        // output is copied somewhere nobody can read (the checkout may live under /root).
        DirectoryInfo copy = Directory.CreateTempSubdirectory("rebound-nobody-");
        try
        {
            foreach (string file in Directory.EnumerateFiles(AppContext.BaseDirectory))
            {
                File.Copy(file, Path.Combine(copy.FullName, Path.GetFileName(file)));
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(copy.FullName, (UnixFileMode)0b111_101_101);
            }
            ProcessResult result = ProcessRunner.Run(
                "runuser",
                ["-u", "nobody", "--", "env", "HOME=/tmp", "DOTNET_CLI_TELEMETRY_OPTOUT=1", "dotnet", Path.Combine(copy.FullName, "Rebound.Cli.dll"), "echo", "-l", "0.0.0.0:53"],
                TimeSpan.FromSeconds(30));

            Assert.True(result.ExitCode == 4, result.StandardOutput + result.StandardError);
            Assert.Contains("permission denied", result.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            copy.Delete(recursive: true);
        }
    }
}
