using Rebound.Lab;

namespace Rebound.TestSupport;

/// <summary>
/// A test that builds network namespaces: it runs as root with iproute2 (as in CI) and is skipped, with the reason,
/// anywhere else. Extra programs the test drives (nc, dig, iptables…) can be listed; a missing one skips too.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NamespaceFactAttribute : FactAttribute
{
    public NamespaceFactAttribute(params string[] programs)
    {
        string? why = Privileges.WhyNamespacesUnavailable();
        string? missing = programs.FirstOrDefault(p => !ProcessRunner.IsInstalled(p));
        if (why is not null)
        {
            Skip = $"Skipped: {why}.";
        }
        else if (missing is not null)
        {
            Skip = $"Skipped: `{missing}` is not installed (scripts/test.sh installs it when run as root).";
        }
    }
}

/// <summary>A test that needs external programs but no root; skipped with the reason when one is missing.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(params string[] programs)
    {
        string? missing = programs.FirstOrDefault(p => !ProcessRunner.IsInstalled(p));
        if (missing is not null)
        {
            Skip = $"Skipped: `{missing}` is not installed (scripts/test.sh installs it when run as root).";
        }
    }
}
