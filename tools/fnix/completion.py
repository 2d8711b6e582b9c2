"""`fnix completion bash`: a bash completion script written from the parser itself, so it cannot fall behind the
commands (no extra dependency). Install: `fnix completion bash > ~/.local/share/bash-completion/completions/fnix`,
or `source <(fnix completion bash)` in ~/.bashrc. zsh reads it after `autoload -U +X bashcompinit && bashcompinit`."""

from __future__ import annotations

import argparse
import sys


def words(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """For each command path (words joined by spaces, "" for fnix itself): what may follow it."""
    found: dict[str, list[str]] = {}
    options = [o for a in parser._actions for o in a.option_strings if o.startswith("--")]
    subcommands = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    names = [name for action in subcommands for name in action.choices]
    found[" ".join(path)] = names + options
    for action in subcommands:
        for name, sub in action.choices.items():
            found.update(words(sub, (*path, name)))
    return found


def bash_script(parser: argparse.ArgumentParser) -> str:
    cases = "\n".join(f'        "{path}") candidates="{" ".join(following)}" ;;'
                      for path, following in sorted(words(parser).items()))
    return f"""# bash completion for fnix, written by `fnix completion bash`
_fnix() {{
    local current="${{COMP_WORDS[COMP_CWORD]}}" path="" word
    for word in "${{COMP_WORDS[@]:1:COMP_CWORD-1}}"; do
        case "$word" in -*) ;; *) [[ -n "$path" ]] && path="$path $word" || path="$word" ;; esac
    done
    local candidates=""
    case "$path" in
{cases}
    esac
    COMPREPLY=($(compgen -W "$candidates" -- "$current"))
    [[ ${{#COMPREPLY[@]}} -eq 0 ]] && COMPREPLY=($(compgen -f -- "$current"))
    return 0
}}
complete -F _fnix fnix
"""


def completion(args: argparse.Namespace) -> int:
    from fnix.cli import build_parser

    sys.stdout.write(bash_script(build_parser()))
    return 0


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser("completion", help="print a shell completion script (bash; zsh via bashcompinit)")
    run.add_argument("shell", choices=["bash"], help="the shell")
    run.set_defaults(run=completion)
