using System.CommandLine;
using Rebound.Cli.Commands;

namespace Rebound.Cli.Infrastructure;

/// <summary>
/// The <c>rebound</c> command tree: a <see cref="RootCommand"/>, so the <c>[suggest]</c> directive behind shell
/// completion works (<c>rebound completion bash|zsh</c>), built in one place so tests can walk every command's flags.
/// </summary>
internal static class ReboundRoot
{
    /// <summary>The name people type; <see cref="RootCommand"/> would show the executable's (Rebound.Cli).</summary>
    public const string Name = "rebound";

    public static RootCommand Create()
    {
        var root = new RootCommand(
            "rebound — UDP replies that leave from the address the request was sent to.\n" +
            "Reproduce, diagnose and fix the wrong-source-address failure of wildcard UDP servers.")
        {
            EchoCommand.Create(),
            ListenCommand.Create(),
            ConnectCommand.Create(),
            LabCommand.Create(),
            DoctorCommand.Create(),
            AnalyzeCommand.Create(),
            TraceCommand.Create(),
            ProxyCommand.Create(),
            BenchCommand.Create(),
            CompletionCommand.Create(),
        };
        HelpEpilogue.Install(root);
        return root;
    }
}
