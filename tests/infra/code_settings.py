"""What the app reads from its environment, found by reading function_app/ (not by listing it by hand).

- `env.get("X")`, `os.environ["X"]`, `os.getenv("X")`, and the `helper(env, "X", ...)` idiom of config.py;
- f-strings over module constants (`f"{STORAGE_SETTING}__accountName"`);
- binding expressions `%X%` (timer schedules);
- `connection=` of trigger and binding decorators: the host reads `<connection>__...` for each;
- SDK defaults the code relies on: `DefaultAzureCredential()` without a client id, `configure_azure_monitor()`
  without a credential.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

_BINDING_EXPRESSION = re.compile(r"%([A-Za-z_][A-Za-z0-9_]*)%")
_CLIENT_ID_KEYWORDS = {"managed_identity_client_id", "workload_identity_client_id", "client_id"}


@dataclass
class CodeSettings:
    read: set[str] = field(default_factory=set)
    connections: dict[str, str] = field(default_factory=dict)  # name -> "storage" | "eventhub"
    default_credential: bool = False
    azure_monitor: bool = False


def scan(package: Path) -> CodeSettings:
    trees = [ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in sorted(package.rglob("*.py"))]
    constants = _module_constants(trees)
    found = CodeSettings()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                _call(node, constants, found)
            elif isinstance(node, ast.Subscript) and _is_environment(node.value):
                _add(found.read, _text(node.slice, constants))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                match = _BINDING_EXPRESSION.fullmatch(node.value)
                if match:
                    found.read.add(match.group(1))
    return found


def _call(node: ast.Call, constants: dict[str, str], found: CodeSettings) -> None:
    name = _callee(node.func)
    if name in {"get", "getenv"} and (name == "getenv" or _is_environment(_receiver(node.func))) and node.args:
        _add(found.read, _text(node.args[0], constants))
    for before, after in zip(node.args, node.args[1:], strict=False):
        if isinstance(before, ast.Name) and before.id == "env":
            _add(found.read, _text(after, constants))
    for keyword in node.keywords:
        if keyword.arg == "connection":
            connection = _text(keyword.value, constants)
            if connection:
                found.connections[connection] = "eventhub" if "event_hub" in name else "storage"
    keywords = {keyword.arg for keyword in node.keywords}
    if name == "DefaultAzureCredential" and not keywords & _CLIENT_ID_KEYWORDS:
        found.default_credential = True
    if name == "configure_azure_monitor" and "credential" not in keywords:
        found.azure_monitor = True


def _module_constants(trees: list[ast.Module]) -> dict[str, str]:
    """Module-level `NAME = "text"` across the package; a name bound to two different texts is left out."""
    values: dict[str, set[str]] = defaultdict(set)
    for tree in trees:
        for statement in tree.body:
            if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant):
                for target in statement.targets:
                    if isinstance(target, ast.Name) and isinstance(statement.value.value, str):
                        values[target.id].add(statement.value.value)
    return {name: next(iter(texts)) for name, texts in values.items() if len(texts) == 1}


def _text(node: ast.expr, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    if isinstance(node, ast.JoinedStr):
        parts = [_text(part.value if isinstance(part, ast.FormattedValue) else part, constants) for part in node.values]
        return None if None in parts else "".join(part or "" for part in parts)
    return None


def _callee(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _receiver(func: ast.expr) -> ast.expr | None:
    return func.value if isinstance(func, ast.Attribute) else None


def _is_environment(node: ast.expr | None) -> bool:
    """`env` (config.py's mapping, os.environ by default) or `os.environ` / `environ`."""
    if isinstance(node, ast.Name):
        return node.id in {"env", "environ"}
    return isinstance(node, ast.Attribute) and node.attr == "environ"


def _add(names: set[str], name: str | None) -> None:
    if name:
        names.add(name)


def names_with_prefix(names: set[str], prefix: str) -> Iterator[str]:
    return (name for name in sorted(names) if name.startswith(f"{prefix}__"))
