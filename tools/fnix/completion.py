"""`fnix completion bash`: a bash completion script written from the parser itself, so it cannot fall behind the
commands (no extra dependency). Install: `fnix completion bash > ~/.local/share/bash-completion/completions/fnix`,
or `source <(fnix completion bash)` in ~/.bashrc. zsh reads it after `autoload -U +X bashcompinit && bashcompinit`."""

from __future__ import annotations

import argparse
import sys

from fnix.command_tree import CommandParser


def words(parser: CommandParser, path: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """For each command path (words joined by spaces, "" for fnix itself): what may follow it."""
    subcommands = parser.subcommands()
    found = {" ".join(path): [*subcommands, *(o for o in parser.options() if o.startswith("--"))]}
    for name, sub in subcommands.items():
        found.update(words(sub, (*path, name)))
    return found


def bash_script(parser: CommandParser) -> str:
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
