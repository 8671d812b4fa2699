namespace Rebound.Cli.Infrastructure;

/// <summary>The exit codes every rebound command uses, so scripts can tell outcomes apart.</summary>
internal static class ExitCodes
{
    /// <summary>Everything worked (and, for checks, nothing is wrong).</summary>
    public const int Success = 0;

    /// <summary>The command ran and found a problem: a wrong-source reply, a failed verdict, a peer that never answered.</summary>
    public const int Finding = 1;

    /// <summary>Bad command line, bad input file, or the command cannot run here (not root, tool missing).</summary>
    public const int Usage = 2;

    /// <summary>A network error: address in use, address not on this host, host unreachable.</summary>
    public const int Network = 3;

    /// <summary>Permission denied: a port below 1024 without privileges, or a capability missing.</summary>
    public const int Permission = 4;

    /// <summary>The text for --help epilogues.</summary>
    public const string Help =
        "Exit codes: 0 success, 1 problem found (no reply, wrong source, failed verdict), 2 usage error or cannot run here, " +
        "3 network error (address in use or not local), 4 permission denied.";
}
