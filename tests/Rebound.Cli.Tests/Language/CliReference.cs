using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using System.Text;

namespace Rebound.Cli.Tests.Language;

/// <summary>
/// Renders docs/cli.md from the real command tree, so the flag reference is the parser itself written down: a test
/// compares the checked-in page with this rendering and fails (with the command that rewrites it) when they differ.
/// </summary>
internal static class CliReference
{
    public const string UpdateVariable = "REBOUND_UPDATE_DOCS";

    public static string Render(RootCommand root)
    {
        var text = new StringBuilder();
        text.Append("""
            # Command-line reference

            Every `rebound` command and flag, generated from the parser itself (`ReboundRoot.Create()`): the test
            `CliReferenceTests` fails when this page and the code differ. To change a flag, change the code, then rewrite
            this page with `REBOUND_UPDATE_DOCS=1 dotnet test tests/Rebound.Cli.Tests --filter CliReferenceTests`.
            The words and JSON fields the commands print are in [output.md](output.md); each command's `--help` has examples.

            Conventions: a short flag means the same thing in every command (nc's habits: `-s` source, `-u` UDP, `-l`
            listen, `-p` port, `-w` timeout in seconds, `-4`/`-6` address family); every duration is in seconds and
            its value is written `SECONDS`; enum values are lower-case words. Exit codes everywhere: 0 ok, 1 problem
            found, 2 usage error or cannot run here, 3 network error, 4 permission denied.

            ## Short flags

            | short | long | commands |
            |---|---|---|

            """);
        foreach ((string shortFlag, SortedDictionary<string, SortedSet<string>> longs) in ShortFlags(root))
        {
            foreach ((string longName, SortedSet<string> commands) in longs)
            {
                text.Append(CultureInfo.InvariantCulture, $"| `{shortFlag}` | `{longName}` | {string.Join(", ", commands)} |\n");
            }
        }

        foreach ((string path, Command command) in Commands(root))
        {
            text.Append(CultureInfo.InvariantCulture, $"\n## {path}\n\n{Cell(command.Description ?? "")}\n");
            var rows = new List<string>();
            foreach (Argument argument in command.Arguments.Where(a => !a.Hidden))
            {
                rows.Add($"| `{Cell(argument.HelpName ?? argument.Name)}` (argument) | {Cell(argument.Description ?? "")} |");
            }

            foreach (Option option in command.Options.Where(o => o is not HelpOption and not VersionOption && !o.Hidden))
            {
                string flags = string.Join(", ", option.Aliases.Where(a => a.Length == 2).Order(StringComparer.Ordinal)
                    .Append(option.Name).Concat(option.Aliases.Where(a => a.Length > 2).Order(StringComparer.Ordinal)).Select(a => $"`{a}`"));
                string value = Value(option) is { } v ? $" `{Cell(v)}`" : "";
                rows.Add($"| {flags}{value} | {Cell(option.Description ?? "")}{Default(option)} |");
            }

            if (rows.Count > 0)
            {
                text.Append("\n| flag | meaning |\n|---|---|\n");
                rows.ForEach(r => text.Append(r).Append('\n'));
            }

            if (command.Subcommands.Any(c => !c.Hidden))
            {
                text.Append(CultureInfo.InvariantCulture, $"\nSubcommands: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => $"`{c.Name}`"))}.\n");
            }
        }

        return text.ToString();
    }

    /// <summary>Every visible command below the root, depth first, with its full path (<c>rebound shield attach</c>).</summary>
    public static IEnumerable<(string Path, Command Command)> Commands(Command command, string path = "rebound")
    {
        foreach (Command sub in command.Subcommands.Where(c => !c.Hidden))
        {
            string subPath = $"{path} {sub.Name}";
            yield return (subPath, sub);
            foreach ((string, Command) inner in Commands(sub, subPath))
            {
                yield return inner;
            }
        }
    }

    private static SortedDictionary<string, SortedDictionary<string, SortedSet<string>>> ShortFlags(Command root)
    {
        var result = new SortedDictionary<string, SortedDictionary<string, SortedSet<string>>>(StringComparer.Ordinal);
        foreach ((string path, Command command) in Commands(root))
        {
            foreach (Option option in command.Options.Where(o => o is not HelpOption and not VersionOption && !o.Hidden))
            {
                foreach (string alias in option.Aliases.Where(a => a.Length == 2 && a[0] == '-' && a[1] != '-'))
                {
                    if (!result.TryGetValue(alias, out SortedDictionary<string, SortedSet<string>>? longs))
                    {
                        result[alias] = longs = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
                    }

                    if (!longs.TryGetValue(option.Name, out SortedSet<string>? commands))
                    {
                        longs[option.Name] = commands = new SortedSet<string>(StringComparer.Ordinal);
                    }

                    commands.Add(path["rebound ".Length..]);
                }
            }
        }

        return result;
    }

    /// <summary>The value placeholder: the option's help name, else one from its type; null for a switch.</summary>
    internal static string? Value(Option option)
    {
        Type type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
        if (type == typeof(bool))
        {
            return null;
        }

        if (option.HelpName is { } name)
        {
            return name;
        }

        Type element = type.IsArray ? type.GetElementType()! : type;
        return element == typeof(int) || element == typeof(long) ? "N"
            : element == typeof(FileInfo) ? "FILE"
            : option.Name.TrimStart('-').ToUpperInvariant();
    }

    internal static string Default(Option option)
    {
        if (!option.HasDefaultValue || (option.Description ?? "").Contains("default", StringComparison.OrdinalIgnoreCase))
        {
            return "";
        }

        object? value = option.GetDefaultValue();
        return value is null or bool or Array ? "" : string.Create(CultureInfo.InvariantCulture, $" Default: `{value}`.");
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
