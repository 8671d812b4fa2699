using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Runtime.CompilerServices;

namespace Rebound.Cli.Infrastructure;

/// <summary>Adds text (examples, exit codes) after a command's standard --help output.</summary>
internal static class HelpEpilogue
{
    private static readonly ConditionalWeakTable<Command, string> Epilogues = [];

    /// <summary>Shows <paramref name="text"/> at the end of <paramref name="command"/>'s help.</summary>
    public static T WithEpilogue<T>(this T command, string text)
        where T : Command
    {
        Epilogues.AddOrUpdate(command, text);
        return command;
    }

    /// <summary>The text shown after <paramref name="command"/>'s help, or null (the man page prints it too).</summary>
    public static string? Of(Command command) => Epilogues.TryGetValue(command, out string? text) ? text : null;

    /// <summary>Replaces the root's help action with one that prints the epilogues too.</summary>
    public static void Install(Command root)
    {
        foreach (HelpOption option in root.Options.OfType<HelpOption>())
        {
            if (option.Action is HelpAction standard)
            {
                option.Action = new EpilogueAction(standard);
            }
        }
    }

    private sealed class EpilogueAction(HelpAction standard) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            // RootCommand names itself after the executable (Rebound.Cli); people type `rebound`.
            TextWriter output = parseResult.InvocationConfiguration.Output;
            using var help = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
            parseResult.InvocationConfiguration.Output = help;
            int result;
            try
            {
                result = standard.Invoke(parseResult);
            }
            finally
            {
                parseResult.InvocationConfiguration.Output = output;
            }

            string executable = RootCommand.ExecutableName;
            output.Write(executable == ReboundRoot.Name ? help.ToString() : help.ToString().Replace(executable, ReboundRoot.Name, StringComparison.Ordinal));
            if (Epilogues.TryGetValue(parseResult.CommandResult.Command, out string? text))
            {
                parseResult.InvocationConfiguration.Output.WriteLine(text);
                parseResult.InvocationConfiguration.Output.WriteLine();
            }

            return result;
        }
    }
}
