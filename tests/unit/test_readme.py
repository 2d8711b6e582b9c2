"""The README's promises that a test can hold it to."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```\n(.*?)```", section, re.S)
    assert block is not None
    return [line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_is_two_commands_and_ci_runs_the_test_one() -> None:
    commands = quick_start_commands()
    assert commands == ["./dev demo", "./dev test"]
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert ci[-1] == commands[1]


def test_every_documented_setting_is_read_by_the_code() -> None:
    settings = re.findall(r"^\| `([A-Za-z_]+)`", README.split("## Configuration", 1)[1].split("\n## ", 1)[0], re.M)
    code = "\n".join(p.read_text() for p in (ROOT / "function_app").rglob("*.py"))
    for name in settings:
        assert name.split("__")[0] in code, name
