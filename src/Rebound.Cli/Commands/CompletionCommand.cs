using System.CommandLine;
using Rebound.Cli.Infrastructure;

namespace Rebound.Cli.Commands;

/// <summary>
/// <c>rebound completion bash|zsh</c>: prints a shell script that completes rebound's commands, flags and values by
/// asking rebound itself (System.CommandLine's <c>[suggest:POSITION]</c> directive), so it never goes stale.
/// </summary>
internal static class CompletionCommand
{
    private const string Bash = """
        # rebound completion for bash: eval "$(rebound completion bash)", or save it in /etc/bash_completion.d/rebound
        _rebound_complete() {
          local line="${COMP_LINE:0:COMP_POINT}"
          local command="${line%% *}"
          local rest="${line#"$command"}"
          rest="${rest# }"
          local IFS=$'\n'
          COMPREPLY=($(compgen -W "$("$command" "[suggest:${#rest}]" "$rest" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
        }
        complete -o default -F _rebound_complete rebound
        """;

    private const string Zsh = """
        #compdef rebound
        # rebound completion for zsh: eval "$(rebound completion zsh)", or save it as _rebound in a directory of $fpath
        _rebound() {
          local rest="${BUFFER[1,CURSOR]#* }"
          local -a suggestions
          suggestions=("${(@f)$("${words[1]}" "[suggest:${#rest}]" "$rest" 2>/dev/null)}")
          compadd -a suggestions
        }
        compdef _rebound rebound
        """;

    public static Command Create()
    {
        var shell = new Argument<string>("shell") { Description = "bash or zsh." };
        shell.AcceptOnlyFromAmong("bash", "zsh");
        var command = new Command("completion", "Print a shell completion script for bash or zsh.")
        {
            shell,
        }.WithEpilogue(
            "Examples:\n  eval \"$(rebound completion bash)\"     # in ~/.bashrc\n" +
            "  rebound completion zsh > \"${fpath[1]}/_rebound\"\n\n" + ExitCodes.Help);
        command.SetAction(parse =>
        {
            Console.Out.WriteLine(parse.GetValue(shell) == "zsh" ? Zsh : Bash);
            return ExitCodes.Success;
        });
        return command;
    }
}
