"""The back office's rows of one contract as last applied, each with the log position that wrote it, so changes
apply per row in log-sequence order and an older change never overwrites a newer one."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from function_app.domain.change_feed.records import ChangeOp, Columns, Lsn, RowChange


@dataclass(frozen=True)
class RowVersion:
    """One source row as last applied: its values (None once deleted) and the position that wrote them."""

    lsn: Lsn
    values: Columns | None

    def to_json(self) -> dict[str, Any]:
        return {"lsn": str(self.lsn), "values": dict(self.values) if self.values is not None else None}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> RowVersion:
        return cls(Lsn.parse(raw["lsn"]), raw.get("values"))


@dataclass(frozen=True)
class SourceOfRecord:
    """The back office's view of one contract: its row in `contracts`, and its rows in `claims`."""

    contract: RowVersion | None = None
    claims: dict[str, RowVersion] = field(default_factory=dict)

    @property
    def status(self) -> str | None:
        return self.contract.values["status"] if self.contract and self.contract.values else None

    @property
    def refund_paid_date(self) -> date | None:
        """When the back office paid the cancellation's refund, as its latest `contracts` row says (None: not paid,
        also when a later row no longer carries the column)."""
        values = self.contract.values if self.contract else None
        paid = values.get("refund_paid_date") if values else None
        return date.fromisoformat(paid) if paid else None

    @property
    def claims_paid(self) -> Decimal:
        """What the refund rules deduct: the paid amounts of the contract's claims in status PAID."""
        total = Decimal("0.00")
        for claim in self.claims.values():
            values = claim.values
            if values and values.get("status") == "PAID" and (amount := values.get("paid_amount")):
                total += Decimal(amount)
        return total

    def to_json(self) -> dict[str, Any]:
        return {
            "contract": self.contract.to_json() if self.contract else None,
            "claims": {k: v.to_json() for k, v in sorted(self.claims.items())},
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any] | None) -> SourceOfRecord:
        if not raw:
            return cls()
        contract = RowVersion.from_json(raw["contract"]) if raw.get("contract") else None
        return cls(contract, {k: RowVersion.from_json(v) for k, v in raw.get("claims", {}).items()})


@dataclass(frozen=True)
class Applied:
    """What a change did: nothing (older than what is there, or the same change again), or a new row version."""

    state: SourceOfRecord
    before: Columns | None
    after: Columns | None
    stale: bool


def apply_change(state: SourceOfRecord, change: RowChange) -> Applied:
    current = state.contract if change.table == "contracts" else state.claims.get(change.row_key)
    if current is not None and change.lsn <= current.lsn:
        return Applied(state, None, None, stale=True)
    values = None if change.op is ChangeOp.DELETE else dict(change.row)
    version = RowVersion(change.lsn, values)
    if change.table == "contracts":
        updated = replace(state, contract=version)
    else:
        updated = replace(state, claims={**state.claims, change.row_key: version})
    return Applied(updated, current.values if current else None, values, stale=False)
