using Rebound.Lab;

namespace Rebound.TestSupport;

/// <summary>A test that needs root (for example to run a command as another user); skipped with the reason otherwise.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!Privileges.IsRoot)
        {
            Skip = "Skipped: needs root (CI runs as root).";
        }
    }
}
