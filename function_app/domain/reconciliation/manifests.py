"""A delivered file's manifest: what it claims (record count, control totals, sha256, size) against the file's own
figures, and what the manifests of a date claim together."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from function_app.domain.delivery.fields import FIELDS, FieldKind
from function_app.domain.delivery.formats import cents
from function_app.domain.delivery.parsing import Row
from function_app.domain.reconciliation.feed_scope import FeedScope
from function_app.domain.reconciliation.model import Break, BreakKind, Side

_FIGURES = ("record_count", "sha256", "bytes")


@dataclass(frozen=True)
class Manifest:
    """What a manifest claims, each figure as the text it holds: whoever edited it may have written anything."""

    figures: Mapping[str, str] = field(default_factory=dict)  # record_count, sha256, bytes: those it holds
    control_totals: Mapping[str, str] | None = None  # None: it holds none, or not as an object
    record_count: int | None = None  # its record count when that is a whole number

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> Manifest:
        count, totals = raw.get("record_count"), raw.get("control_totals")
        return cls(
            figures={name: str(raw[name]) for name in _FIGURES if name in raw},
            control_totals={str(k): str(v) for k, v in totals.items()} if isinstance(totals, dict) else None,
            record_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
        )

    def claims(self) -> dict[str, str]:
        """Every figure it holds, its control totals named `control_totals.<column>`."""
        totals = {f"control_totals.{name}": value for name, value in (self.control_totals or {}).items()}
        return {**self.figures, **totals}


def manifest_breaks(ctx: FeedScope, name: str, manifest: Manifest | None, data: bytes,
                    rows: list[Row] | None) -> list[Break]:
    """The manifest's figures against the file's own: record count and control totals (when the file can be
    read), its sha256 and size."""
    if manifest is None:
        return [ctx.broken(BreakKind.AMOUNT_MISMATCH, name, None, f"{name} has no manifest")]
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
    return [ctx.broken(BreakKind.AMOUNT_MISMATCH, name, None, detail)]


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
