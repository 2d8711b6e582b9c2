"""The deployed app is function_app/ alone: it never imports the operator's CLI, the dev tooling or the tests.

`.funcignore` leaves `tools/` and `tests/` out of the package, so an import of them would fail only in Azure; the
worker tier loads the staged package, and this test finds such an import anywhere in function_app/, even in a
function body that the worker tier might not run.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NEVER_DEPLOYED = ("fnix", "tests", "bench")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_function_app_imports_nothing_that_is_not_deployed() -> None:
    offenders = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in (ROOT / "function_app").rglob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] in NEVER_DEPLOYED
    }
    assert offenders == set()


def test_the_check_sees_an_import_of_the_cli(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f() -> None:\n    from fnix.dev.azurite import Azurite\n", encoding="utf-8")
    assert imported_modules(sample) == {"fnix.dev.azurite"}
