"""The folders say the design: each layer imports only what its place allows, no module of the deployed
package outgrows one idea, and the README's picture of the layout names every folder there is."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "function_app"
LARGEST_MODULE_LINES = 300

# What each layer may import besides the standard library (STYLE.md, cosmicpython). Adapters talk to the outside,
# so any library is theirs; of the app they see the ports and the domain, never a trigger or the root.
ALLOWED = {
    "domain": ("pydantic", "pydantic_core", "function_app.domain"),
    "service_layer": ("function_app.domain", "function_app.service_layer", "function_app.telemetry"),
    "adapters": ("function_app.domain", "function_app.service_layer", "function_app.adapters", "function_app.config"),
}
ANY_LIBRARY = {"adapters"}


def modules(folder: Path) -> Iterator[Path]:
    yield from (path for path in sorted(folder.rglob("*.py")) if "__pycache__" not in path.parts)


def imported(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "function_app":  # `from function_app import telemetry` names a module
                yield from (f"function_app.{alias.name}" for alias in node.names)
            else:
                yield node.module


def forbidden(layer: str, path: Path) -> list[str]:
    allowed = ALLOWED[layer]
    return [
        name for name in imported(path)
        if name.split(".")[0] not in sys.stdlib_module_names
        and name != "__future__"
        and not any(name == prefix or name.startswith(prefix + ".") for prefix in allowed)
        and not (layer in ANY_LIBRARY and name.split(".")[0] not in {"function_app", "fnix", "tests", "bench"})
    ]


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_each_layer_imports_only_what_its_place_allows(layer: str) -> None:
    problems = {
        str(path.relative_to(ROOT)): names
        for path in modules(APP / layer)
        if (names := forbidden(layer, path))
    }
    assert not problems, f"imports outside what {layer}/ may use: {problems}"


def test_the_rule_sees_an_sdk_import_in_the_domain(tmp_path: Path) -> None:
    module = tmp_path / "sneaky.py"
    module.write_text("import json\nfrom azure.data.tables import TableClient\nfrom function_app.adapters import x\n")
    assert forbidden("domain", module) == ["azure.data.tables", "function_app.adapters"]
    module.write_text("from jinja2 import Environment\nfrom function_app.entrypoints import claims\nimport fnix\n")
    assert forbidden("adapters", module) == ["function_app.entrypoints", "fnix"]


def test_no_module_of_the_deployed_package_outgrows_one_idea() -> None:
    sizes = {str(path.relative_to(ROOT)): len(path.read_text().splitlines()) for path in modules(APP)}
    too_big = {name: lines for name, lines in sizes.items() if lines >= LARGEST_MODULE_LINES}
    assert not too_big, f"modules of {LARGEST_MODULE_LINES} lines or more: {too_big}"


def layout_picture() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Where things live", 1)[1].split("\n## ", 1)[0]
    return section.split("```", 2)[1]


def pictured_folders() -> set[str]:
    """The picture is a tree: each line's indentation (two spaces a level) says whose subfolder it is."""
    folders: set[str] = set()
    parents: list[str] = []
    for line in layout_picture().splitlines():
        match = re.match(r"^( *)([\w.-]+)/ ", line)
        if not match:
            continue
        depth = len(match.group(1)) // 2
        parents[depth:] = [match.group(2)]
        folders.add("/".join(parents))
    return folders


def real_folders() -> set[str]:
    """Folders holding tracked files (caches, venvs and build output are not part of the layout)."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    tops = ("function_app", "tools", "tests", "bench", "infra", "docs")
    return {
        str(parent)
        for name in tracked.splitlines()
        for parent in Path(name).parents
        if parent.parts and parent.parts[0] in tops
    }


def test_the_readme_pictures_every_folder_and_only_real_ones() -> None:
    pictured, real = pictured_folders(), real_folders()
    assert not real - pictured, f"folders the README's layout picture leaves out: {sorted(real - pictured)}"
    assert not pictured - real, f"folders the picture names that do not exist: {sorted(pictured - real)}"


def test_every_pictured_folder_says_what_changes_go_there() -> None:
    bare = [line for line in layout_picture().splitlines() if re.match(r"^ *[\w.-]+/ *$", line)]
    assert not bare, f"folders without a line saying what goes there: {bare}"
