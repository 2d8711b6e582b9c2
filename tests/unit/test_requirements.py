"""requirements.txt is what Azure installs and what the worker tier runs: it must pin pyproject.toml's ranges.

`./dev lock` writes it (uv pip compile, universal, every Python from 3.11). This test holds the two files together
without asking a registry: every runtime dependency is pinned once, exactly, within its range and with its
marker; `./dev test` then installs the pins with --no-deps and runs `pip check`, so the pinned set is complete.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>[^\s;]+)(?:\s*;\s*(?P<marker>.+))?$")


def pins() -> dict[str, list[tuple[str, str | None]]]:
    """Pins by package; a package may be pinned once per Python range (a universal lock forks where needed)."""
    found: dict[str, list[tuple[str, str | None]]] = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = PIN.match(line.strip())
        assert match, f"requirements.txt line {line!r} is not an exact pin"
        found.setdefault(canonicalize_name(match["name"]), []).append((match["version"], match["marker"]))
    return found


def test_every_runtime_dependency_is_pinned_within_its_range() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pinned = pins()
    for text in project["dependencies"]:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{name} is in pyproject.toml but not in requirements.txt: run ./dev lock"
        for version, marker in pinned[name]:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"{name}=={version} is outside pyproject.toml's {requirement.specifier}: run ./dev lock")
            assert requirement.marker is None or marker is not None, f"{name}: pinned without pyproject's marker"


def test_the_pins_say_how_they_were_made() -> None:
    header = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()[:2]
    assert header[1].strip() == "#    ./dev lock"
