"""The README's promises that a test can hold it to."""

from __future__ import annotations

import itertools
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


# ---- docs that cannot drift: each README table is held to the code it describes ---------------------------------

def section(title: str) -> str:
    return README.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def table_rows(text: str) -> list[list[str]]:
    """The cells of each body row of the markdown tables in `text`, an escaped `\\|` kept inside its cell."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def test_every_setting_the_code_reads_is_in_the_configuration_table() -> None:
    from tests.infra.code_settings import scan

    code = scan(ROOT / "function_app")
    table = section("Configuration")
    rows = {row[0].strip("`"): " ".join(row) for row in table_rows(table)[1:]}
    telemetry_section = section("Telemetry")
    missing = []
    for name in sorted(code.read | set(code.connections)):
        base, _, suffix = name.partition("__")
        if name in rows or (suffix and f"__{suffix}" in rows.get(base, "")) or (
                not suffix and name in code.connections and any(k.startswith(f"{name}__") for k in rows)):
            continue
        if name.startswith(("APPLICATIONINSIGHTS_", "PYTHON_APPLICATIONINSIGHTS_")) and name in telemetry_section:
            continue
        missing.append(name)
    assert not missing, f"document these settings in the README's Configuration table: {missing}"


def test_infra_readme_app_settings_table_is_exactly_what_the_templates_set() -> None:
    from tests.infra.test_templates import app_settings

    infra = (ROOT / "infra" / "README.md").read_text(encoding="utf-8")
    table = infra.split("### App settings", 1)[1].split("\n#", 1)[0]
    documented: set[str] = set()
    for row in table_rows(table)[1:]:
        base = ""
        for name in re.findall(r"`([A-Za-z_]+)`", row[0]):
            base = name.partition("__")[0] if "__" in name and not name.startswith("__") else base
            documented.add(base + name if name.startswith("__") else name)
    assert documented == set(app_settings()), (
        f"infra/README.md app settings: undocumented {sorted(set(app_settings()) - documented)}, "
        f"not in the templates {sorted(documented - set(app_settings()))}")


def documented_cli(commands: set[str]) -> dict[str, set[str]]:
    """Command path -> its documented options, from the code spans of the CLI table's first column. A usage's
    command is the longest run of its leading lower-case words that names a command (`fnix completion bash`)."""
    found: dict[str, set[str]] = {}
    for row in table_rows(section("The CLI"))[1:]:
        for usage in re.findall(r"`(fnix [^`]+)`", row[0]):
            words = list(itertools.takewhile(lambda w: re.fullmatch(r"[a-z][a-z-]*", w), usage.split()[1:]))
            prefixes = [" ".join(words[:n]) for n in range(len(words), 0, -1)]
            path = next((p for p in prefixes if p in commands), " ".join(words))
            found[path] = set(re.findall(r"--[a-z][a-z-]*", usage))
    return found


def test_the_cli_table_documents_every_command_and_option_of_the_parser() -> None:
    from fnix.cli import build_parser

    code = {" ".join(path): {o for a in arguments for o in a.option_strings if o.startswith("--") and o != "--help"}
            for path, arguments in build_parser().leaves()}
    documented = documented_cli(set(code))
    assert sorted(documented) == sorted(code), "the README's CLI table and the parser name different commands"
    differing = {path: (sorted(code[path] - documented[path]), sorted(documented[path] - code[path]))
                 for path in code if code[path] != documented[path]}
    assert not differing, f"command: (options undocumented, options documented but gone): {differing}"


def test_the_metrics_listed_are_exactly_the_instruments_the_app_creates() -> None:
    import ast

    from function_app import telemetry

    tree = ast.parse((ROOT / "function_app" / "telemetry.py").read_text(encoding="utf-8"))
    created = {getattr(telemetry, node.args[0].id) for node in ast.walk(tree)
               if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
               and node.func.attr.startswith("create_") and node.args and isinstance(node.args[0], ast.Name)}
    bullet = section("Telemetry").split("- Metrics:", 1)[1].split("\n- ", 1)[0]
    assert created and set(re.findall(r"`(fni\.[a-z_.]+)`", bullet)) == created


def test_the_host_json_table_documents_every_setting_of_host_json() -> None:
    import json

    def leaves(node: object, path: str = "") -> list[str]:
        if isinstance(node, dict):
            return [leaf for key, value in node.items() for leaf in leaves(value, f"{path}.{key}" if path else key)]
        return [path]

    host = json.loads((ROOT / "host.json").read_text(encoding="utf-8"))
    settings = [leaf.removeprefix("extensions.") for leaf in leaves(host) if leaf != "version"]
    documented: set[str] = set()
    for row in table_rows(section("`host.json`, setting by setting"))[1:]:
        names = re.findall(r"`([A-Za-z.]+)`", row[0])
        prefix = names[0].rpartition(".")[0] if names else ""
        documented |= {name if "." in name or not prefix else f"{prefix}.{name}" for name in names}
    undocumented = [s for s in settings if not any(s == d or s.startswith(d + ".") for d in documented)]
    gone = [d for d in documented if not any(s == d or s.startswith(d + ".") for s in settings)]
    assert not undocumented and not gone, f"host.json table: undocumented {undocumented}, gone {gone}"
