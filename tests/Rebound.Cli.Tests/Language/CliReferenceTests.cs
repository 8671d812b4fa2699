using Rebound.Cli.Infrastructure;
using Rebound.TestSupport;

namespace Rebound.Cli.Tests.Language;

/// <summary>
/// docs/cli.md is the parser written down: it must equal <see cref="CliReference.Render"/> of the real command tree,
/// so a flag added, renamed or re-described in code without the page fails here. The same holds for what the .deb ships
/// from the tree: the man page's COMMANDS section (<see cref="ManPage"/>) and the completion scripts (<c>rebound
/// completion bash|zsh</c>). <c>REBOUND_UPDATE_DOCS=1</c> rewrites all three.
/// </summary>
public class CliReferenceTests
{
    private static readonly string PagePath = Path.Combine(RepositoryRoot.Path, "docs", "cli.md");

    [Fact]
    public void Docs_cli_md_matches_the_command_tree()
    {
        string expected = CliReference.Render(ReboundRoot.Create());
        if (Environment.GetEnvironmentVariable(CliReference.UpdateVariable) == "1")
        {
            File.WriteAllText(PagePath, expected);
        }

        string actual = File.Exists(PagePath) ? File.ReadAllText(PagePath) : "";
        Assert.True(
            expected == actual,
            $"docs/cli.md differs from the command tree (first difference at line {FirstDifferentLine(expected, actual)}). " +
            $"Rewrite it: {CliReference.UpdateVariable}=1 dotnet test tests/Rebound.Cli.Tests --filter CliReferenceTests");
    }

    [Fact]
    public void The_man_page_lists_every_command_and_flag_of_the_command_tree()
    {
        string actual = File.ReadAllText(ManPage.PagePath);
        string expected = ManPage.WithCommands(actual, ManPage.RenderCommands(ReboundRoot.Create()));
        if (Environment.GetEnvironmentVariable(CliReference.UpdateVariable) == "1")
        {
            File.WriteAllText(ManPage.PagePath, expected);
            actual = expected;
        }

        Assert.True(
            expected == actual,
            $"packaging/man/rebound.1 differs from the command tree (first difference at line {FirstDifferentLine(expected, actual)}). " +
            $"Rewrite it: {CliReference.UpdateVariable}=1 dotnet test tests/Rebound.Cli.Tests --filter CliReferenceTests");
    }

    [ToolFact("groff")]
    public void The_man_page_renders_without_a_roff_warning()
    {
        Rebound.Lab.ProcessResult render = Rebound.Lab.ProcessRunner.Run("groff", ["-man", "-Tutf8", "-k", "-ww", "-z", ManPage.PagePath]);

        Assert.True(render.Succeeded && render.StandardError.Length == 0, $"groff: {render.StandardError}");
    }

    [Fact]
    public void A_flag_missing_from_the_man_page_is_a_difference()
    {
        var root = ReboundRoot.Create();
        string before = ManPage.RenderCommands(root);
        root.Subcommands.Single(c => c.Name == "doctor").Options.Add(new System.CommandLine.Option<bool>("--brand-new") { Description = "x" });

        Assert.Contains("\\fB\\-\\-brand\\-new\\fR", ManPage.RenderCommands(root), StringComparison.Ordinal);
        Assert.DoesNotContain("brand", before, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bash", "rebound.bash")]
    [InlineData("zsh", "_rebound")]
    public void The_packaged_completion_scripts_are_what_rebound_completion_prints(string shell, string file)
    {
        string path = Path.Combine(RepositoryRoot.Path, "packaging", "completions", file);
        (int exit, string expected, string error) = Support.CliProcess.Run("", "completion", shell);
        Assert.True(exit == 0, error);
        if (Environment.GetEnvironmentVariable(CliReference.UpdateVariable) == "1")
        {
            File.WriteAllText(path, expected);
        }

        Assert.True(
            expected == File.ReadAllText(path),
            $"packaging/completions/{file} differs from `rebound completion {shell}`. " +
            $"Rewrite it: {CliReference.UpdateVariable}=1 dotnet test tests/Rebound.Cli.Tests --filter CliReferenceTests");
    }

    [Fact]
    public void The_page_names_every_command_and_every_long_flag()
    {
        string page = CliReference.Render(ReboundRoot.Create());

        foreach ((string path, System.CommandLine.Command command) in CliReference.Commands(ReboundRoot.Create()))
        {
            Assert.Contains($"\n## {path}\n", page, StringComparison.Ordinal);
            foreach (System.CommandLine.Option option in command.Options.Where(o => !o.Hidden && o.Name != "--help"))
            {
                Assert.Contains($"`{option.Name}`", page, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void A_flag_missing_from_the_page_is_a_difference()
    {
        var root = ReboundRoot.Create();
        string before = CliReference.Render(root);
        root.Subcommands.Single(c => c.Name == "echo").Options.Add(new System.CommandLine.Option<bool>("--brand-new") { Description = "x" });

        Assert.NotEqual(before, CliReference.Render(root));
    }

    private static int FirstDifferentLine(string a, string b)
    {
        string[] x = a.Split('\n'), y = b.Split('\n');
        int i = 0;
        while (i < x.Length && i < y.Length && x[i] == y[i])
        {
            i++;
        }

        return i + 1;
    }
}
