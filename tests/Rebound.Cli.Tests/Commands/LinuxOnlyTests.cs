using Rebound.Cli.Infrastructure;

namespace Rebound.Cli.Tests.Commands;

/// <summary>On another OS every command refuses with a reason naming the library's per-address strategy; help still prints.</summary>
public sealed class LinuxOnlyTests
{
    [Theory]
    [InlineData("echo", "-l", "0.0.0.0:53")]
    [InlineData("doctor")]
    [InlineData("lab")]
    public void Commands_refuse_on_other_systems_and_say_why(params string[] args)
    {
        string? why = LinuxOnly.WhyNot(args, isLinux: false, "Darwin 24.1.0");

        Assert.NotNull(why);
        Assert.StartsWith($"rebound {args[0]}: the rebound command runs on Linux only; this is Darwin 24.1.0.", why, StringComparison.Ordinal);
        Assert.Contains("per-address strategy", why, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("--version")]
    [InlineData("echo", "-h")]
    public void Help_and_version_print_anywhere(params string[] args) =>
        Assert.Null(LinuxOnly.WhyNot(args, isLinux: false, "Microsoft Windows 10.0.26100"));

    [Fact]
    public void Linux_runs_every_command() => Assert.Null(LinuxOnly.WhyNot(["lab"], isLinux: true, "Linux"));
}
