using System.Globalization;

namespace Rebound.Cli.Infrastructure;

/// <summary>Interface index → name, read from /sys/class/net of the current network namespace.</summary>
internal static class InterfaceNames
{
    public static string Describe(int index)
    {
        if (index <= 0)
        {
            return "?";
        }

        try
        {
            foreach (string dir in Directory.EnumerateDirectories("/sys/class/net"))
            {
                string file = Path.Combine(dir, "ifindex");
                if (File.Exists(file) && int.Parse(File.ReadAllText(file).Trim(), CultureInfo.InvariantCulture) == index)
                {
                    return $"{Path.GetFileName(dir)}({index})";
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return index.ToString(CultureInfo.InvariantCulture);
    }
}
