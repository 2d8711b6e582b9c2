"""Every `fnix` command, found by walking the argparse parser (a new command or argument cannot be forgotten), run
with hostile values one argument at a time: each is refused with a message on stderr and exit 2, never a traceback.

Each argument is known here by its kind (a date, a time, a number, a partner, a blob name, a path…), which says
what is hostile for it and what a harmless value is when another argument is the one under test."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fnix.cli import USAGE_ERROR, build_parser, main
from fnix.command_tree import CommandParser

ROOT = Path(__file__).resolve().parents[2]

# what kind of value each argument (by its argparse dest) takes
KIND_OF = {
    "file": "input", "feedback_out": "output", "out": "output", "connection_setting": "setting",
    "batch_size": "number", "contracts": "number", "seed": "number", "settle_minutes": "number", "hours": "number",
    "port": "number",
    "date": "date", "now": "time", "partner": "partner", "feed": "feed", "name": "blob", "names": "blob",
    "reason": "text", "by": "text",
}
KIND_IN = {("demo", "out"): "directory"}  # where one dest means another kind in one command
TOO_LONG = "a" * 5000
HOSTILE = {
    "date": ["0001-01-01", "9999-12-31", "\u0662\u0660\u0662\u0666-03-02", "2026-02-30", "", "../../etc/passwd",
             TOO_LONG, "2026-03-02T00:00:00"],
    "time": ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59-23:59",
             "2026-03-05T12:00:00", "\u00b2\u00b9", "", TOO_LONG],
    "number": ["\u00b2", "\u0664", "\uff11\uff10", "-1", "99999999999999999999", "1e3", "", TOO_LONG],
    "partner": ["", "no-such-partner", "../../etc", "oem--toyota", "ADM-01", "x\x00y", TOO_LONG],
    "feed": ["", "no-such-feed", "../x", "x\x00y", TOO_LONG],
    "blob": ["", "../../etc/passwd", "a/./b", "a//b", "/abs", "bad#1?", "x\x00y", "a\\b", "a" * 2000,
             "contracts/2026-03-02/no-such-letter.json", "\u00e9t\u00e9/%2e%2e/x"],
    "input": ["", "x\x00y", "/no/such/file.jsonl", "{dir}", "{file}/below", TOO_LONG],
    "output": ["", "x\x00y", "{dir}", "{file}/below", TOO_LONG, TOO_LONG + "/x"],
    "directory": ["", "x\x00y", "{file}", "{file}/below", TOO_LONG, TOO_LONG + "/x"],
    "setting": ["", "NO_SUCH_SETTING", "x\x00y", TOO_LONG],
    "text": ["", "   ", "x\x00y", "two\nlines", TOO_LONG],
}
HARMLESS = {"date": "2026-03-02", "partner": "adm-01", "feed": "nightly-contracts",
            "blob": "contracts/2026-03-02/x.json", "input": "{empty}", "text": "the partner's copy was damaged"}


@dataclass(frozen=True)
class Argument:
    command: str
    dest: str
    flag: str | None  # None for a positional
    required: bool
    choices: tuple[str, ...]
    takes_value: bool

    @property
    def kind(self) -> str:
        if not self.takes_value:
            return "flag"
        if self.choices:
            return "choice"  # argparse itself refuses anything else
        return KIND_IN.get((self.command, self.dest)) or KIND_OF.get(self.dest, "unknown")


Command = tuple[tuple[str, ...], list[Argument]]


def commands(parser: CommandParser) -> Iterator[Command]:
    """Every leaf command of the parser with its arguments (--help aside)."""
    for path, arguments in parser.leaves():
        yield path, [_argument(" ".join(path), a) for a in arguments if "--help" not in a.option_strings]


def _argument(command: str, action: argparse.Action) -> Argument:
    flag = max(action.option_strings, key=len) if action.option_strings else None
    return Argument(command, action.dest, flag, bool(action.required or not action.option_strings),
                    tuple(str(c) for c in action.choices or ()), action.nargs != 0)


COMMANDS = dict(commands(build_parser()))


def test_the_walk_finds_every_command_the_readme_documents() -> None:
    found = {" ".join(path) for path in COMMANDS}
    assert {"replay", "demo", "deadletters show", "holds expire", "files show", "inbound scan", "partners check",
            "deliver", "reconcile", "publish"} <= found


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_every_argument_has_a_known_kind(path: tuple[str, ...]) -> None:
    unknown = [a.dest for a in COMMANDS[path] if a.kind == "unknown"]
    assert not unknown, f"fnix {' '.join(path)}: add the kind of {unknown} to KIND_OF, with its hostile values"


def _value(template: str, tmp_path: Path) -> str:
    directory = tmp_path / "a-dir"
    directory.mkdir(exist_ok=True)
    plain = tmp_path / "a-file"
    plain.write_text("x")
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    return template.format(dir=directory, file=plain, empty=empty)


def _harmless(argument: Argument, tmp_path: Path) -> list[str]:
    value = argument.choices[0] if argument.choices else _value(HARMLESS[argument.kind], tmp_path)
    return [argument.flag, value] if argument.flag else [value]


def _cases(path: tuple[str, ...], tmp_path: Path) -> Iterator[list[str]]:
    arguments = COMMANDS[path]
    for target in arguments:
        if target.kind in ("choice", "flag"):
            continue  # argparse itself refuses what is not a choice; a flag takes no value
        for hostile in HOSTILE[target.kind]:
            argv = list(path)
            for other in arguments:
                if other is target:
                    argv += [target.flag, _value(hostile, tmp_path)] if target.flag else [_value(hostile, tmp_path)]
                elif other.required:
                    argv += _harmless(other, tmp_path)
            yield argv


@pytest.mark.usefixtures("on_azurite")
@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_hostile_arguments_get_a_message_and_exit_2_never_a_traceback(
    path: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # whatever a command might write lands here
    failures = []
    for argv in _cases(path, tmp_path):
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse refusing a value
            code = exit_.code if isinstance(exit_.code, int) else 2
        except Exception as exc:  # the very thing this test exists to find
            failures.append(f"{argv!r:.160}: raised {exc!r:.200}")
            continue
        out, err = capsys.readouterr()
        if code != USAGE_ERROR or not err.strip() or "Traceback" in out + err:
            failures.append(f"{argv!r:.160}: exit {code}, stderr {err.strip()[:200]!r}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("argv", [
    ["holds", "expire", "--now", "0001-01-01T00:00:00+00:00"],
    ["deadletters", "show", "../../bad#1"],
    ["files", "show", "adm-01", "a" * 2000],
    ["demo", "--contracts", "\u0664\u0660"],
], ids=["year-1", "traversal", "long-blob-name", "arabic-indic-digits"])
def test_a_real_process_prints_no_traceback(argv: list[str], on_azurite: object) -> None:
    completed = fnix(argv, dict(os.environ))
    assert completed.returncode == USAGE_ERROR, completed.stderr
    assert completed.stderr.strip() and "Traceback" not in completed.stdout + completed.stderr


def fnix(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The installed `fnix`, as an operator runs it."""
    return subprocess.run([str(Path(sys.executable).parent / "fnix"), *argv], cwd=ROOT, capture_output=True,
                          text=True, env=env, timeout=120, check=False)


@pytest.mark.parametrize(("setting", "value"), [("CONTRACT_PARTITIONS", "\u00b2"), ("STORAGE_NAMESPACE", "caf\u00e9"),
                                                ("BUSINESS_TIMEZONE", "A" * 5000)])
def test_a_wrong_setting_stops_a_command_with_its_name_and_exit_2(setting: str, value: str) -> None:
    completed = fnix(["inbound", "scan"], {**os.environ, setting: value})
    assert completed.returncode == USAGE_ERROR, completed.stderr
    assert setting in completed.stderr and "Traceback" not in completed.stdout + completed.stderr


def test_a_broken_partner_file_is_reported_by_partners_check_not_a_traceback(tmp_path: Path) -> None:
    broken = tmp_path / "partners.json"
    broken.write_text('{"schema_version": 1, "partners": [{"id": "oem--toyota"}]}')
    completed = fnix(["partners", "check"], {**os.environ, "PARTNER_CONFIG_FILE": str(broken)})
    assert completed.returncode == 1, completed.stderr
    assert "oem--toyota" in completed.stderr and "Traceback" not in completed.stdout + completed.stderr


def test_without_storage_or_node_the_cli_says_what_to_do(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AzureWebJobsStorage")}
    env["PATH"] = str(Path(sys.executable).parent)  # the venv's python and fnix, and no node
    completed = fnix(["deadletters", "list"], env)
    assert completed.returncode == USAGE_ERROR, completed.stderr
    assert "Node.js" in completed.stderr and "AzureWebJobsStorage" in completed.stderr
    assert "Traceback" not in completed.stdout + completed.stderr


@pytest.mark.usefixtures("on_azurite")
def test_a_broken_partner_file_stops_a_command_that_needs_it_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "partners.json"
    broken.write_text('{"schema_version": 1, "partners": [{"id": "oem-toyota-"}]}')
    monkeypatch.setenv("PARTNER_CONFIG_FILE", str(broken))
    assert main(["files", "list"]) == USAGE_ERROR
    err = capsys.readouterr().err
    assert "oem-toyota-" in err and "fnix partners check" in err
