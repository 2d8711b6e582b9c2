"""The parser `fnix` is built with: it keeps the arguments and subcommands it is given, so its commands and options
can be listed (the README's table, shell completion, the hostile-input tests) without argparse's private fields."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any


class CommandParser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.arguments: list[argparse.Action] = []  # before argparse adds --help, so that it is kept too
        self._subcommands: argparse.Action | None = None
        super().__init__(*args, **kwargs)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        action = super().add_argument(*args, **kwargs)
        self.arguments.append(action)
        return action

    def add_subparsers(self, **kwargs: Any) -> Any:
        self._subcommands = super().add_subparsers(**kwargs)
        return self._subcommands

    def subcommands(self) -> dict[str, CommandParser]:
        """The commands that may follow this one, by name (their parsers are CommandParsers too)."""
        return dict(self._subcommands.choices or {}) if self._subcommands else {}

    def options(self) -> list[str]:
        return [option for action in self.arguments for option in action.option_strings]

    def leaves(self, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], list[argparse.Action]]]:
        """Every command that runs something, by its words, with the arguments it takes (its --help among them)."""
        subcommands = self.subcommands()
        if not subcommands:
            yield path, list(self.arguments)
        for name, sub in subcommands.items():
            yield from sub.leaves((*path, name))
