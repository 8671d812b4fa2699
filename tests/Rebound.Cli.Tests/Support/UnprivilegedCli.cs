using Rebound.Cli.Infrastructure;
using Rebound.Lab;

namespace Rebound.Cli.Tests.Support;

/// <summary>
/// Runs the real CLI as the unprivileged user "nobody" (needs root to switch), from a copy of the build output that
/// nobody can read, so permission errors are the kernel's real answers to an ordinary user.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class UnprivilegedCli
{
    public static ProcessResult Run(params string[] arguments)
    {
        DirectoryInfo copy = Directory.CreateTempSubdirectory("rebound-nobody-");
        try
        {
            foreach (string file in Directory.EnumerateFiles(AppContext.BaseDirectory))
            {
                File.Copy(file, Path.Combine(copy.FullName, Path.GetFileName(file)));
            }

            File.SetUnixFileMode(copy.FullName, (UnixFileMode)0b111_101_101);
            return ProcessRunner.Run(
                "runuser",
                ["-u", "nobody", "--", "env", "HOME=/tmp", "DOTNET_CLI_TELEMETRY_OPTOUT=1", "dotnet", Path.Combine(copy.FullName, "Rebound.Cli.dll"), .. arguments],
                TimeSpan.FromSeconds(30));
        }
        finally
        {
            copy.Delete(recursive: true);
        }
    }
}
