"""A delivered file's manifest: field by field against the manifest the exchange recorded and re-derives for the
file (identity, lineage, counts, totals, sha256, size, JSON types, no other keys); without that, what it claims
against the file's own figures; and what the manifests of a date claim together."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from function_app.domain.delivery.fields import FIELDS, FieldKind
from function_app.domain.delivery.formats import cents
from function_app.domain.delivery.parsing import Row
from function_app.domain.reconciliation.feed_scope import FeedScope
from function_app.domain.reconciliation.inventory import MANIFEST_SUFFIX
from function_app.domain.reconciliation.model import Break, BreakKind, Side

_FIGURES = ("record_count", "sha256", "bytes")
PRESENCE_ONLY = frozenset({"journal_chain"})  # verified against the chain, not here: only its presence is checked


@dataclass(frozen=True)
class Manifest:
    """What a manifest claims, each figure as the text it holds: whoever edited it may have written anything."""

    figures: Mapping[str, str] = field(default_factory=dict)  # record_count, sha256, bytes: those it holds
    control_totals: Mapping[str, str] | None = None  # None: it holds none, or not as an object
    record_count: int | None = None  # its record count when that is a whole number
    differences: tuple[tuple[str, str], ...] | None = None  # (field, how) against the recorded one; None: not compared

    @classmethod
    def from_json(cls, raw: Mapping[str, object], recorded: Mapping[str, object] | None = None) -> Manifest:
        """`recorded`: the manifest the exchange recorded for the file, to compare it with field by field."""
        count, totals = raw.get("record_count"), raw.get("control_totals")
        return cls(
            figures={name: str(raw[name]) for name in _FIGURES if name in raw},
            control_totals={str(k): str(v) for k, v in totals.items()} if isinstance(totals, dict) else None,
            record_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
            differences=None if recorded is None else tuple(field_differences(recorded, raw)),
        )

    def claims(self) -> dict[str, str]:
        """Every figure it holds, its control totals named `control_totals.<column>`."""
        totals = {f"control_totals.{name}": value for name, value in (self.control_totals or {}).items()}
        return {**self.figures, **totals}


def manifest_breaks(ctx: FeedScope, name: str, manifest: Manifest | None, data: bytes,
                    rows: list[Row] | None) -> list[Break]:
    """Each field of the manifest that is not the recorded one; a manifest not compared so (none was recorded) has
    its figures checked against the file's own: record count and control totals (when the file can be read), its
    sha256 and size."""
    if manifest is None:
        detail = f"{name} has no manifest, or one that is not a JSON object"
        return [ctx.broken(BreakKind.MANIFEST_MISMATCH, name + MANIFEST_SUFFIX, None, detail)]
    if manifest.differences is not None:
        return [ctx.broken(BreakKind.MANIFEST_MISMATCH, f"{name}{MANIFEST_SUFFIX}#{field}", None,
                           f"the manifest of {name}: {field} {how}") for field, how in manifest.differences]
    claimed = manifest.claims()
    actual = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": str(len(data))}
    if rows is not None:
        actual["record_count"] = str(len(rows))
        actual.update({f"control_totals.{k}": total for k, total in ctx.totals(rows).items()})
    names = [*actual, *(figure for figure in claimed if figure not in actual and figure.startswith("control_totals."))]
    differences = [
        f"{figure} {claimed.get(figure, 'absent')} in the manifest, {actual.get(figure, 'absent')} in the file"
        for figure in names
        if not _agrees(figure, claimed.get(figure), actual.get(figure))
    ]
    if not differences:
        return []
    detail = f"the manifest of {name} disagrees with the file: {'; '.join(differences)}"
    return [ctx.broken(BreakKind.MANIFEST_MISMATCH, name + MANIFEST_SUFFIX, None, detail)]


def field_differences(recorded: Mapping[str, object], found: Mapping[str, object], path: str = "") -> Iterator[
        tuple[str, str]]:
    """Each field (dotted path) where `found` is not `recorded`: absent, another JSON type, another value, or a key
    the exchange does not write. Only the recorded value is quoted: the found one may hold anything."""
    for key in sorted(set(recorded) | set(found), key=str):
        field = f"{path}{key}"
        if key in PRESENCE_ONLY and not path:
            if key in recorded and key not in found:
                yield field, "is absent"
            continue
        if key not in found:
            yield field, "is absent"
        elif key not in recorded:
            yield field[:120], "is not a field the exchange writes"
        else:
            yield from _value_differences(field, recorded[key], found[key])


def _value_differences(field: str, want: object, got: object) -> Iterator[tuple[str, str]]:
    if _json_type(want) != _json_type(got):
        yield field, f"is a JSON {_json_type(got)}, the exchange writes a {_json_type(want)}"
    elif isinstance(want, dict) and isinstance(got, dict):
        yield from field_differences(want, got, f"{field}.")
    elif want != got:
        yield field, f"is not {json.dumps(want)}, what the exchange recorded"


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    names = {float: "number", str: "string", dict: "object", list: "array", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _agrees(name: str, claimed: str | None, actual: str | None) -> bool:
    if claimed == actual:
        return True
    if not name.startswith("control_totals.") or claimed is None or actual is None:
        return False
    amounts = _decimal(claimed), _decimal(actual)
    return amounts[0] is not None and amounts[0] == amounts[1]


def _decimal(text: str | None) -> Decimal | None:
    try:
        amount = Decimal(str(text))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def manifests_side(ctx: FeedScope, files: Sequence[tuple[Manifest | None, Sequence[Row]]]) -> Side:
    """What the manifests claim for the date: each usable manifest's figures, less its file's records of other
    dates (`files`: each manifest with those records; a manifest counts its whole file)."""
    money = [name for name in ctx.fields if FIELDS[name].kind is FieldKind.MONEY]
    count, totals = 0, dict.fromkeys(money, Decimal("0.00"))
    for manifest, aside in files:
        claimed = _claims(manifest, money)
        if claimed is None:
            continue
        others = ctx.totals(aside)
        count += claimed[0] - len(aside)
        for name in money:
            totals[name] += claimed[1][name] - Decimal(others[name])
    return Side(count, {name: f"{cents(total):f}" for name, total in totals.items()})


def _claims(manifest: Manifest | None, money: list[str]) -> tuple[int, dict[str, Decimal]] | None:
    """The manifest's record count and control totals, or None when it has none usable."""
    if manifest is None or manifest.record_count is None or manifest.control_totals is None:
        return None
    amounts = {name: _decimal(manifest.control_totals.get(name)) for name in money}
    if any(amount is None for amount in amounts.values()):
        return None
    return manifest.record_count, {name: amount for name, amount in amounts.items() if amount is not None}
