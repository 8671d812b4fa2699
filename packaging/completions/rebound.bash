# bash completion for rebound. Commands and options are read from the installed binary's own --help, so they always
# match the version installed.

# Prints the command names (section "Commands:") and then the options (section "Options:") of `rebound WORDS --help`.
_rebound_help_words()
{
    command rebound "$@" --help 2>/dev/null | awk '
        /^Commands:/ { section = "c"; next }
        /^Options:/  { section = "o"; next }
        /^[^ ]/      { section = "" }
        section == "c" && /^  [a-z]/ { print $1 }
        section == "o" && /^  -/ {
            for (i = 1; i <= NF; i++) { w = $i; sub(/,$/, "", w); if (w ~ /^--?[A-Za-z?]/) print w; else break }
        }'
}

_rebound()
{
    local cur=${COMP_WORDS[COMP_CWORD]}
    local path=() i word
    # The command path so far: leading words that name a (sub)command of the path before them.
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        [[ $word == -* ]] && break
        if _rebound_help_words "${path[@]}" | grep -qx -- "$word"; then
            path+=("$word")
        else
            break
        fi
    done
    local words
    words=$(_rebound_help_words "${path[@]}")
    if [[ $cur == -* ]]; then
        words=$(grep -- '^-' <<<"$words")
    else
        local commands
        commands=$(grep -v -- '^-' <<<"$words")
        [[ -n $commands ]] && words=$commands || words=""
    fi
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}

complete -o default -F _rebound rebound
