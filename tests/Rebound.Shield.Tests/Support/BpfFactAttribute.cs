namespace Rebound.Shield.Tests.Support;

/// <summary>A test that loads BPF programs: needs root and a cgroup v2 mount; skipped with the reason otherwise.</summary>
[AttributeUsage(AttributeTargets.Method)]
public class BpfFactAttribute : FactAttribute
{
    public BpfFactAttribute()
    {
        if (WhyUnavailable() is { } reason)
        {
            Skip = "Skipped: " + reason;
        }
    }

    public static string? WhyUnavailable()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "BPF exists only on Linux";
        }

        if (Environment.UserName != "root")
        {
            return "loading BPF programs needs root (CI runs as root)";
        }

        return Cgroups.UnifiedMount() is null ? "no cgroup v2 file system is mounted" : null;
    }
}

/// <summary>The theory form of <see cref="BpfFactAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BpfTheoryAttribute : TheoryAttribute
{
    public BpfTheoryAttribute()
    {
        if (BpfFactAttribute.WhyUnavailable() is { } reason)
        {
            Skip = "Skipped: " + reason;
        }
    }
}
