using Rebound.Cli.Tests.Support;

namespace Rebound.Cli.Tests.Hostile;

/// <summary>Issue 11 item 11: negative values and unknown commands are usage errors that say what is wrong.</summary>
public sealed class CommandLineMisuseTests
{
    [Theory]
    [InlineData("--count", "echo", "--count", "-5")]
    [InlineData("--timeout", "connect", "127.0.0.1:9", "-w", "-1")]
    [InlineData("--stats", "proxy", "--to", "127.0.0.1:53", "--stats", "-1")]
    public void A_negative_value_is_a_usage_error_naming_the_option(string option, params string[] arguments)
    {
        (int exit, _, string error) = CliProcess.Run("", arguments);
        Assert.Equal(2, exit);
        Assert.StartsWith($"rebound: {option} cannot be negative", error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_command_is_named_first_without_a_missing_command_complaint()
    {
        (int exit, _, string error) = CliProcess.Run("", "nosuchcommand");
        Assert.Equal(2, exit);
        Assert.StartsWith("rebound: unknown command 'nosuchcommand'.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Required command", error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_proxy_listen_address_twice_is_a_usage_error_not_address_in_use()
    {
        (int exit, _, string error) = CliProcess.Run("", "proxy", "-l", "127.0.0.1:0", "-l", "127.0.0.1:0", "--to", "127.0.0.1:53");
        Assert.Equal(2, exit);
        Assert.Contains("given twice", error, StringComparison.Ordinal);
    }
}
