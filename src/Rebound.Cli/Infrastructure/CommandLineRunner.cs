using System.CommandLine;

namespace Rebound.Cli.Infrastructure;

/// <summary>Parses and invokes the root command; usage errors exit with <see cref="ExitCodes.Usage"/> (2).</summary>
internal static class CommandLineRunner
{
    public static async Task<int> RunAsync(Command root, string[] args)
    {
        ParseResult parse = root.Parse(args);
        bool wantsHelp = parse.Tokens.Any(t => t.Value is "-h" or "--help" or "-?");
        bool completing = args.Length > 0 && args[0].StartsWith("[suggest", StringComparison.Ordinal);
        if (parse.Errors.Count > 0 && !wantsHelp && !completing)
        {
            // An unknown command leaves the root without a subcommand too; say only what is wrong.
            bool unknownCommand = parse.CommandResult.Command == root && parse.UnmatchedTokens.Count > 0 && root.Subcommands.Count > 0;
            if (unknownCommand)
            {
                await Console.Error.WriteLineAsync($"rebound: unknown command '{parse.UnmatchedTokens[0]}'.").ConfigureAwait(false);
            }
            else
            {
                foreach (System.CommandLine.Parsing.ParseError error in parse.Errors)
                {
                    await Console.Error.WriteLineAsync($"rebound: {error.Message}").ConfigureAwait(false);
                }
            }

            await Console.Error.WriteLineAsync("Try 'rebound --help' or 'rebound COMMAND --help'.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync().ConfigureAwait(false);
    }
}
