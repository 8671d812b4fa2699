using System.Net;
using System.Net.Sockets;

namespace DnsResponder.Dns;

/// <summary>One address-to-name line of a hosts file.</summary>
internal sealed record HostsEntry(IPAddress Address, string Name, int Line);

/// <summary>
/// Reads hosts-style text (<c>192.0.2.10 www.example.test www2.example.test</c>, IPv6 too, <c>#</c> comments). Bad
/// lines are reported with their number rather than skipped, so a typo never silently loses a record.
/// </summary>
internal static class HostsFile
{
    public static (List<HostsEntry> Entries, List<string> Errors) Parse(string text)
    {
        var entries = new List<HostsEntry>();
        var errors = new List<string>();
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int number = i + 1;
            string line = lines[i];
            int hash = line.IndexOf('#', StringComparison.Ordinal);
            if (hash >= 0)
            {
                line = line[..hash];
            }

            string[] fields = line.Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0)
            {
                continue;
            }

            if (!TryParseAddress(fields[0], out IPAddress address))
            {
                errors.Add($"line {number}: '{fields[0]}' is not an IPv4 or IPv6 address.");
                continue;
            }

            if (fields.Length == 1)
            {
                errors.Add($"line {number}: {fields[0]} has no name after it.");
                continue;
            }

            foreach (string field in fields.AsSpan(1))
            {
                if (DnsName.TryNormalize(field, out string name, out string error))
                {
                    entries.Add(new HostsEntry(address, name, number));
                }
                else
                {
                    errors.Add($"line {number}: {error}");
                }
            }
        }

        return (entries, errors);
    }

    /// <summary>A dotted-quad IPv4 or an IPv6 address without a scope (IPAddress.Parse alone would take "10" or "1.2").</summary>
    private static bool TryParseAddress(string text, out IPAddress address)
    {
        if (!IPAddress.TryParse(text, out address!))
        {
            return false;
        }

        return address.AddressFamily == AddressFamily.InterNetwork
            ? text.Count(c => c == '.') == 3
            : !text.Contains('%', StringComparison.Ordinal);
    }
}
