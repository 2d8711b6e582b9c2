"""The deployment package as Azure gets it: the project's files less what `.funcignore` leaves out.

`func azure functionapp publish` and `azd deploy` zip the project folder and honour `.funcignore`, which uses
.gitignore syntax (Azure Functions Core Tools documentation, "Project file deployment"). This module reads the
subset of that syntax the project's `.funcignore` uses (names and globs, a trailing `/` for folders, no `!`
negation, no anchoring) and refuses any other line, so that the worker tier never loads something Azure would not.
"""

from __future__ import annotations

import fnmatch
import shutil
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON_VERSION_FILE = ROOT / "azure-python-version"
# The version Azure runs the app on; ./dev and infra/app/functions.bicep read the same file.
AZURE_PYTHON = PYTHON_VERSION_FILE.read_text(encoding="utf-8").strip()


@dataclass(frozen=True)
class Rule:
    pattern: str
    folders_only: bool

    def matches(self, part: str, is_folder: bool) -> bool:
        return (is_folder or not self.folders_only) and fnmatch.fnmatchcase(part, self.pattern)


def funcignore_rules(root: Path = ROOT) -> list[Rule]:
    rules = []
    for line in (root / ".funcignore").read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith("!") or "/" in text.rstrip("/"):
            raise ValueError(f".funcignore line {text!r}: only names and globs (optionally ending in /) are read")
        rules.append(Rule(text.rstrip("/"), text.endswith("/")))
    return rules


def deployment_files(root: Path = ROOT) -> list[Path]:
    """Every file the package holds, relative to the project root."""
    rules = funcignore_rules(root)
    found: list[Path] = []

    def walk(folder: Path) -> None:
        for entry in sorted(folder.iterdir()):
            if any(rule.matches(entry.name, entry.is_dir()) for rule in rules):
                continue
            if entry.is_dir():
                walk(entry)
            else:
                found.append(entry.relative_to(root))

    walk(root)
    return found


def stage(destination: Path, root: Path = ROOT) -> Path:
    """Copies the package into `destination`, as Azure unpacks it into the app's directory."""
    for relative in deployment_files(root):
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / relative, target)
    return destination
