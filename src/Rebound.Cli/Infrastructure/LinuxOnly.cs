using System.Runtime.InteropServices;

namespace Rebound.Cli.Infrastructure;

/// <summary>
/// The <c>rebound</c> command is Linux-only: it reads /proc, builds network namespaces, captures with AF_PACKET and
/// serves with IP_PKTINFO. On any other OS every command says so (exit 2) instead of failing half-way; help and the
/// version still print. The library is not limited this way (docs/platforms.md).
/// </summary>
internal static class LinuxOnly
{
    /// <summary>The refusal for this OS, or null on Linux or when only help or the version is asked for.</summary>
    public static string? WhyNot(string[] args, bool isLinux, string osDescription)
    {
        if (isLinux || args.Length == 0 || args.Any(a => a is "--help" or "-h" or "-?" or "--version"))
        {
            return null;
        }

        return $"rebound {args[0]}: the rebound command runs on Linux only; this is {osDescription}. It reads /proc, builds " +
               "network namespaces, captures with AF_PACKET and replies with IP_PKTINFO. The Rebound library itself runs " +
               "here: ReboundSocket and ReboundServer pick the per-address strategy (one socket per local address) on " +
               "this OS. See docs/platforms.md.";
    }

    /// <summary>Prints the refusal and returns exit code 2 on a non-Linux OS; null means go on.</summary>
    public static int? Check(string[] args)
    {
        string? why = WhyNot(args, OperatingSystem.IsLinux(), RuntimeInformation.OSDescription);
        if (why is null)
        {
            return null;
        }

        Console.Error.WriteLine(why);
        return ExitCodes.Usage;
    }
}
