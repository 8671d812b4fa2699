using System.CommandLine;
using System.CommandLine.Help;
using Rebound.Cli.Infrastructure;

namespace Rebound.Cli.Tests.Commands;

/// <summary>
/// Walks the real command tree (<see cref="ReboundRoot.Create"/>) and holds every command to one flag language
/// (docs/cli.md): a short flag means one thing in every command, nc's habits work, and every duration is in seconds.
/// </summary>
public class CommandLineLanguageTests
{
    [Fact]
    public void No_short_flag_has_two_meanings_across_commands()
    {
        Dictionary<string, SortedSet<string>> clashes = ShortFlagClashes(ReboundRoot.Create());

        Assert.True(clashes.Count == 0, string.Join("; ", clashes.Select(c => $"{c.Key} means {string.Join(" and ", c.Value)}")));
    }

    [Fact]
    public void The_clash_check_finds_a_short_flag_with_two_meanings()
    {
        // The old tree's clash, rebuilt: -s was --source in connect and --sockets in bench.
        var root = new RootCommand
        {
            new Command("connect") { new Option<string>("--source", "-s") },
            new Command("bench") { new Option<int>("--sockets", "-s"), new Option<string>("--source") },
            new Command("listen") { new Option<bool>("--tcp", "-t") },
        };

        Dictionary<string, SortedSet<string>> clashes = ShortFlagClashes(root);

        Assert.Equal(["--sockets", "--source"], Assert.Single(clashes, c => c.Key == "-s").Value);
        Assert.DoesNotContain("-t", clashes.Keys);
    }

    [Theory]
    [InlineData("-s", "--source")]
    [InlineData("-u", "--udp")]
    [InlineData("-t", "--tcp")]
    [InlineData("-l", "--listen")]
    [InlineData("-p", "--port")]
    [InlineData("-w", "--timeout")]
    [InlineData("-4", "--ipv4")]
    [InlineData("-6", "--ipv6")]
    [InlineData("-v", "--verbose")]
    [InlineData("-c", "--count")]
    public void Netcat_habits_mean_what_they_mean_in_nc(string shortFlag, string meaning)
    {
        Dictionary<string, SortedSet<string>> meanings = ShortFlagMeanings(ReboundRoot.Create());

        Assert.Equal([meaning], meanings[shortFlag]);
    }

    [Theory]
    [InlineData("listen", "-u")]
    [InlineData("listen", "-l")]
    [InlineData("listen", "-p")]
    [InlineData("listen", "-s")]
    [InlineData("connect", "-u")]
    [InlineData("connect", "-s")]
    [InlineData("connect", "-w")]
    [InlineData("connect", "-4")]
    [InlineData("echo", "-u")]
    [InlineData("echo", "-l")]
    [InlineData("doctor", "-w")]
    [InlineData("bench", "-s")]
    public void The_netcat_style_commands_accept_the_flag(string command, string shortFlag)
    {
        Command found = ReboundRoot.Create().Subcommands.Single(c => c.Name == command);

        Assert.Contains(found.Options, o => o.Aliases.Contains(shortFlag));
    }

    [Fact]
    public void Every_duration_is_in_seconds_and_says_so_in_help()
    {
        string[] durationWords = ["timeout", "duration", "warmup", "wait", "interval", "idle", "drain", "stats", "window"];
        var wrong = AllOptions(ReboundRoot.Create())
            .Where(o => durationWords.Any(w => o.Option.Name.Contains(w, StringComparison.Ordinal)))
            .Where(o => o.Option.Description is not string d || !d.Contains("second", StringComparison.OrdinalIgnoreCase)
                || d.Contains("millisecond", StringComparison.OrdinalIgnoreCase))
            .Select(o => $"{o.Command} {o.Option.Name}")
            .ToList();

        Assert.True(wrong.Count == 0, "not in seconds, or the help does not say so: " + string.Join(", ", wrong));
    }

    [Fact]
    public void Every_duration_shows_SECONDS_as_its_value_in_help()
    {
        string[] durationWords = ["timeout", "duration", "warmup", "wait", "interval", "idle", "drain", "stats", "window"];
        var wrong = AllOptions(ReboundRoot.Create())
            .Where(o => durationWords.Any(w => o.Option.Name.Contains(w, StringComparison.Ordinal)))
            .Where(o => o.Option.HelpName != "SECONDS")
            .Select(o => $"{o.Command} {o.Option.Name} <{o.Option.HelpName}>")
            .ToList();

        Assert.True(wrong.Count == 0, "a duration whose value is not written SECONDS in help: " + string.Join(", ", wrong));
    }

    [Theory]
    [InlineData("echo")]
    [InlineData("listen")]
    [InlineData("connect")]
    [InlineData("doctor")]
    [InlineData("bench")]
    public void Commands_that_choose_an_address_family_take_4_and_6(string command)
    {
        Command found = ReboundRoot.Create().Subcommands.Single(c => c.Name == command);

        Assert.Contains(found.Options, o => o.Name == "--ipv4" && o.Aliases.Contains("-4"));
        Assert.Contains(found.Options, o => o.Name == "--ipv6" && o.Aliases.Contains("-6"));
    }

    [Fact]
    public void Enum_values_in_help_are_lower_case_words_not_CSharp_names()
    {
        var help = new StringWriter();
        RootCommand root = ReboundRoot.Create();
        root.Parse(["proxy", "--help"]).Invoke(new InvocationConfiguration { Output = help });

        Assert.Contains("--log-format <text|json|systemd>", help.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Json|Systemd|Text", help.ToString(), StringComparison.Ordinal);
        Assert.Equal("Systemd", root.Parse(["proxy", "--log-format", "systemd"]).GetValue<Rebound.Cli.Infrastructure.LogFormat>("--log-format").ToString());
        Assert.NotEmpty(root.Parse(["proxy", "--log-format", "xml"]).Errors);
    }

    [Fact]
    public void The_top_command_is_a_RootCommand_so_completion_works()
    {
        RootCommand root = ReboundRoot.Create();

        Assert.Contains(root.Directives, d => d.Name == "suggest");
        Assert.Contains(root.Subcommands, c => c.Name == "completion");
    }

    internal static Dictionary<string, SortedSet<string>> ShortFlagClashes(Command root) =>
        ShortFlagMeanings(root).Where(m => m.Value.Count > 1).ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal);

    /// <summary>Every short flag (-x), and the long names of the options it stands for anywhere in the tree.</summary>
    internal static Dictionary<string, SortedSet<string>> ShortFlagMeanings(Command root)
    {
        var meanings = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach ((_, Option option) in AllOptions(root))
        {
            if (option is HelpOption)
            {
                continue;
            }

            foreach (string alias in option.Aliases.Prepend(option.Name).Where(a => a.Length == 2 && a[0] == '-' && a[1] != '-'))
            {
                if (!meanings.TryGetValue(alias, out SortedSet<string>? names))
                {
                    meanings[alias] = names = new SortedSet<string>(StringComparer.Ordinal);
                }

                names.Add(option.Name);
            }
        }

        return meanings;
    }

    private static IEnumerable<(string Command, Option Option)> AllOptions(Command command, string path = "rebound")
    {
        foreach (Option option in command.Options)
        {
            yield return (path, option);
        }

        foreach (Command sub in command.Subcommands)
        {
            foreach ((string, Option) inner in AllOptions(sub, $"{path} {sub.Name}"))
            {
                yield return inner;
            }
        }
    }
}
