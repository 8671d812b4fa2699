using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using System.Text;
using Rebound.Cli.Infrastructure;

namespace Rebound.Cli.Tests.Language;

/// <summary>
/// Renders the COMMANDS section of packaging/man/rebound.1 from the real command tree (every command, argument and
/// option, with each command's examples), so the man page cannot go stale: <see cref="CliReferenceTests"/> compares
/// the part between <see cref="Begin"/> and <see cref="End"/> with this rendering. The rest of the page is prose.
/// </summary>
internal static class ManPage
{
    public const string Begin = ".\\\" BEGIN COMMANDS: generated from the command tree; CliReferenceTests rewrites it with REBOUND_UPDATE_DOCS=1";
    public const string End = ".\\\" END COMMANDS";

    public static readonly string PagePath = Path.Combine(Rebound.TestSupport.RepositoryRoot.Path, "packaging", "man", "rebound.1");

    /// <summary>The generated section, markers included.</summary>
    public static string RenderCommands(RootCommand root)
    {
        var text = new StringBuilder();
        text.Append(Begin).Append('\n').Append(".SH COMMANDS\n");
        foreach ((string path, Command command) in CliReference.Commands(root))
        {
            text.Append(CultureInfo.InvariantCulture, $".SS \"{Escape(path)}\"\n{Line(command.Description ?? "")}\n");
            foreach (Argument argument in command.Arguments.Where(a => !a.Hidden))
            {
                text.Append(CultureInfo.InvariantCulture, $".TP\n\\fI{Escape(argument.HelpName ?? argument.Name)}\\fR (argument)\n{Line(argument.Description ?? "")}\n");
            }

            foreach (Option option in command.Options.Where(o => o is not HelpOption and not VersionOption && !o.Hidden))
            {
                string flags = string.Join(", ", option.Aliases.Where(a => a.Length == 2).Order(StringComparer.Ordinal)
                    .Append(option.Name).Concat(option.Aliases.Where(a => a.Length > 2).Order(StringComparer.Ordinal))
                    .Select(a => $"\\fB{Escape(a)}\\fR"));
                string value = CliReference.Value(option) is { } v ? $" \\fI{Escape(v)}\\fR" : "";
                string description = (option.Description ?? "") + CliReference.Default(option).Replace("`", "", StringComparison.Ordinal);
                text.Append(CultureInfo.InvariantCulture, $".TP\n{flags}{value}\n{Line(description)}\n");
            }

            if (command.Subcommands.Any(c => !c.Hidden))
            {
                text.Append(CultureInfo.InvariantCulture, $".PP\nSubcommands: {Escape(string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name)))}.\n");
            }

            string epilogue = (HelpEpilogue.Of(command) ?? "").Replace(ExitCodes.Help, "", StringComparison.Ordinal).Trim('\n', ' ');
            if (epilogue.Length > 0)
            {
                text.Append(".PP\n.nf\n");
                foreach (string line in epilogue.Split('\n'))
                {
                    text.Append(Line(line)).Append('\n');
                }

                text.Append(".fi\n");
            }
        }

        return text.Append(End).Append('\n').ToString();
    }

    /// <summary>The page with its COMMANDS section replaced by <paramref name="commands"/>.</summary>
    public static string WithCommands(string page, string commands)
    {
        int begin = page.IndexOf(Begin, StringComparison.Ordinal);
        int end = page.IndexOf(End, StringComparison.Ordinal);
        if (begin < 0 || end < begin)
        {
            throw new InvalidOperationException($"{PagePath} has no '{Begin}' … '{End}' section");
        }

        return string.Concat(page.AsSpan(0, begin), commands, page.AsSpan(end + End.Length + 1));
    }

    /// <summary>Text safe on a roff line: backslashes and minus signs escaped, a leading '.' or '\'' neutralised.</summary>
    private static string Line(string text)
    {
        string escaped = Escape(text.Replace("\n", " ", StringComparison.Ordinal));
        return escaped.StartsWith('.') || escaped.StartsWith('\'') ? "\\&" + escaped : escaped;
    }

    private static string Escape(string text) =>
        text.Replace("\\", "\\e", StringComparison.Ordinal).Replace("-", "\\-", StringComparison.Ordinal);
}
