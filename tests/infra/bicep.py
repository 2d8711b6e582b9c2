"""The Bicep templates as pycep reads them, and the few expression forms the tests need to evaluate.

pycep gives a reference (`partnerIds`) and a literal (`'managedidentity'`) alike as a plain string, so a string
is resolved against the template's parameters and variables first and taken literally only when it names none.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any, cast

from pycep import BicepParser

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"

Template = dict[str, Any]
_INTERPOLATION = re.compile(r"\$\{(\w+)\}")


def bicep_files() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))


@cache
def template(relative: str) -> Template:
    return cast(Template, BicepParser().parse(file_path=INFRA / relative))


def resources_of(tpl: Template, kind: str) -> dict[str, dict[str, Any]]:
    """Resources of one type (`Microsoft.Storage/storageAccounts`), existing references excluded."""
    return {
        name: res for name, res in tpl.get("resources", {}).items() if res["type"] == kind and not res["existing"]
    }


def body(resource: dict[str, Any]) -> dict[str, Any]:
    """A resource's or module's declaration, under its loop or its `if (...)` condition if it has one."""
    config: dict[str, Any] = resource["config"]
    return config["config"] if "loop_type" in config or "condition" in config else config


def condition_of(resource: dict[str, Any]) -> Any:
    """The condition of `resource x '...' = if (condition) {...}`, else None."""
    return resource["config"].get("condition")


def module_params(name: str) -> dict[str, Any]:
    """The `params` main.bicep passes to one of its modules."""
    params: dict[str, Any] = body(template("main.bicep")["modules"][name])["params"]
    return params


def loop_over(resource: dict[str, Any]) -> tuple[str, str] | None:
    """(item name, array name) of `[for item in array: ...]`, else None."""
    loop = resource["config"].get("loop_type")
    return (loop["detail"]["item_name"], loop["detail"]["array_name"]) if loop else None


def looped_array(resource: dict[str, Any]) -> str:
    loop = loop_over(resource)
    assert loop is not None, "expected a [for ...] resource"
    return loop[1]


def value_of(tpl: Template, expr: Any) -> Any:
    """A parameter's default or a variable's value when `expr` names one; `expr` itself otherwise."""
    if isinstance(expr, str):
        if expr in tpl.get("parameters", {}):
            return tpl["parameters"][expr]["default"]
        if expr in tpl.get("variables", {}):
            return tpl["variables"][expr]["value"]
    return expr


def setting_value(tpl: Template, expr: Any) -> Any:
    """Evaluates `'literal'`, `param`, `string(param)`; anything else is returned as parsed."""
    if isinstance(expr, dict) and expr.get("function", {}).get("type") == "string":
        return str(value_of(tpl, expr["function"]["parameters"]["value_to_convert"]))
    return value_of(tpl, expr)


def dotted(expr: Any) -> str | None:
    """`identity.outputs.principalId` for a chain of property accessors; a plain name as it is."""
    if isinstance(expr, str):
        return expr
    if isinstance(expr, dict) and expr.get("operator", {}).get("type") == "property_accessor":
        operands = expr["operator"]["operands"]
        head, tail = dotted(operands["operand_1"]), dotted(operands["operand_2"])
        return f"{head}.{tail}" if head and tail else None
    return None


def indexed(expr: Any) -> tuple[str, str] | None:
    """(array, index) for `array[index]`."""
    if isinstance(expr, dict) and expr.get("operator", {}).get("type") == "index_accessor":
        operands = expr["operator"]["operands"]
        return operands["operand_1"], operands["operand_2"]
    return None


def interpolate(text: str, names: dict[str, str]) -> str:
    """`'partner-${id}'` with `id` bound; an unbound name is left as it is."""
    return _INTERPOLATION.sub(lambda m: names.get(m.group(1), m.group(0)), text)


def expand(resource: dict[str, Any], items: list[str], field: str = "name") -> list[str]:
    """The values of a string field (`name`, `properties.homeDirectory`) of a looped resource, one per item."""
    loop = loop_over(resource)
    assert loop is not None, "expected a [for ...] resource"
    values = []
    for item in items:
        value: Any = body(resource)
        for key in field.split("."):
            value = value[key]
        values.append(interpolate(value, {loop[0]: item}))
    return values
