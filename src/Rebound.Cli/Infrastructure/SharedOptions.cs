using System.CommandLine;
using System.Net;
using System.Net.Sockets;

namespace Rebound.Cli.Infrastructure;

/// <summary>
/// The flags several commands share, defined once so a short flag means one thing everywhere and nc's habits work
/// (docs/cli.md; CommandLineLanguageTests walks the tree): -u UDP, -t TCP, -4/-6, -w timeout in seconds.
/// </summary>
internal static class SharedOptions
{
    public static Option<bool> Udp() => new("--udp", "-u") { Description = "UDP (the default; accepted, as in nc -u)." };

    public static Option<bool> Tcp(string detail = "") => new("--tcp", "-t") { Description = "Use TCP instead of UDP" + detail + "." };

    public static Option<bool> IPv4(string what) => new("--ipv4", "-4") { Description = $"IPv4 only: {what}." };

    public static Option<bool> IPv6(string what, params string[] moreAliases) =>
        new("--ipv6", ["-6", .. moreAliases]) { Description = $"IPv6 only: {what}." };

    /// <summary><c>-w, --timeout SECONDS</c>, as nc's <c>-w</c>.</summary>
    public static Option<double> Timeout(string what, double defaultSeconds, params string[] moreAliases) =>
        new Option<double>("--timeout", ["-w", .. moreAliases])
        {
            HelpName = "SECONDS",
            Description = $"{what}, in seconds (default {defaultSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}).",
            DefaultValueFactory = _ => defaultSeconds,
        }.NotNegative();

    /// <summary>The family -4/-6 ask for (null: either), or an error when both are given.</summary>
    public static bool TryFamily(ParseResult parse, Option<bool> v4, Option<bool> v6, out AddressFamily? family, out string error)
    {
        ArgumentNullException.ThrowIfNull(parse);
        bool four = parse.GetValue(v4);
        bool six = parse.GetValue(v6);
        family = four ? AddressFamily.InterNetwork : six ? AddressFamily.InterNetworkV6 : null;
        error = four && six ? "-4 and -6 exclude each other." : "";
        return !(four && six);
    }

    /// <summary>Checks that <paramref name="address"/> is of the family -4/-6 asked for.</summary>
    public static bool FamilyMatches(IPAddress address, AddressFamily? family, string what, out string error)
    {
        ArgumentNullException.ThrowIfNull(address);
        bool v4 = address.AddressFamily == AddressFamily.InterNetwork || address.IsIPv4MappedToIPv6;
        error = family switch
        {
            AddressFamily.InterNetwork when !v4 => $"{what} {address} is not IPv4, but -4 was given.",
            AddressFamily.InterNetworkV6 when v4 => $"{what} {address} is not IPv6, but -6 was given.",
            _ => "",
        };
        return error.Length == 0;
    }
}
