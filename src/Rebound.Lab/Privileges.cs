namespace Rebound.Lab;

/// <summary>Answers "may this process build network namespaces?" with a reason a person can act on.</summary>
public static class Privileges
{
    public static bool IsRoot => Environment.UserName == "root" || GetEffectiveUserId() == 0;

    /// <summary>Null when namespaces can be built here, otherwise one sentence saying why not.</summary>
    public static string? WhyNamespacesUnavailable()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "network namespaces exist only on Linux";
        }

        if (!IsRoot)
        {
            return "building network namespaces needs root (run with sudo)";
        }

        if (!ProcessRunner.IsInstalled("ip"))
        {
            return "the `ip` command is missing (apt-get install iproute2)";
        }

        return null;
    }

    private static uint GetEffectiveUserId()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                {
                    string[] parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                    return uint.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return uint.MaxValue;
    }
}
