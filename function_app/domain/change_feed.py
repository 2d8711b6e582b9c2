"""The provider's policy-administration database as the exchange sees it: Debezium row changes (EVENTS.md,
"Change feed"), applied per row in log-sequence order, so an older change never overwrites a newer one."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from function_app.domain.feedback import Reason, ReasonCode
from function_app.domain.messages import MAX_BODY_BYTES
from function_app.domain.money import parse_money

TABLES = ("contracts", "claims")
BACK_OFFICE_STATUSES = ("ACTIVE", "CANCELLED", "EXPIRED", "SUSPENDED")
_LSN = re.compile(r"^[0-9A-Fa-f]{8}:[0-9A-Fa-f]{8}:[0-9A-Fa-f]{4}$")
_NUMBER = re.compile(r"^[A-Z0-9-]{6,20}$")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
SNAPSHOT_CHANGE_LSN = "00000000:00000000:0000"


class ChangeOp(StrEnum):
    CREATE = "c"
    UPDATE = "u"
    DELETE = "d"
    READ = "r"  # a snapshot read: the row as it was when the connector started


@dataclass(frozen=True, order=True)
class Lsn:
    """SQL Server's position of a change: commit, then change within it, then the event's serial number."""

    commit: str
    change: str
    serial: int

    def __str__(self) -> str:
        return f"{self.commit.lower()}|{self.change.lower()}|{self.serial:010d}"

    @classmethod
    def parse(cls, text: str) -> Lsn:
        commit, change, serial = text.split("|")
        return cls(commit, change, int(serial))


@dataclass(frozen=True)
class RowChange:
    table: str
    op: ChangeOp
    contract_number: str
    claim_number: str | None
    row: dict[str, Any]  # `after`, or `before` for a delete
    lsn: Lsn
    ts_ms: int

    @property
    def row_key(self) -> str:
        return self.claim_number or self.contract_number


def parse_change(body: bytes) -> tuple[RowChange | None, tuple[Reason, ...]]:
    """A Debezium envelope, or the reasons it is not one the exchange can apply."""
    if len(body) > MAX_BODY_BYTES:
        return None, (_malformed(f"message body is {len(body)} bytes; the limit is {MAX_BODY_BYTES}"),)
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return None, (_malformed(f"message body is not UTF-8 JSON: {str(exc)[:200]}"),)
    payload = document.get("payload", document) if isinstance(document, dict) else None
    if not isinstance(payload, dict):
        return None, (_malformed("not a Debezium change: no payload object"),)
    return _change(payload)


def _change(payload: dict[str, Any]) -> tuple[RowChange | None, tuple[Reason, ...]]:
    source = payload.get("source")
    if not isinstance(source, dict):
        return None, (_malformed("payload.source is missing"),)
    problems = _source_problems(source, payload.get("op")) + _op_problems(payload)
    if problems:
        return None, tuple(problems)
    op = ChangeOp(payload["op"])
    row = payload["before"] if op is ChangeOp.DELETE else payload["after"]
    row_problems = _row_problems(source["table"], row, op)
    if row_problems:
        return None, tuple(row_problems)
    change_lsn = source.get("change_lsn") or SNAPSHOT_CHANGE_LSN
    lsn = Lsn(source["commit_lsn"].lower(), change_lsn.lower(), int(source.get("event_serial_no") or 0))
    claim = row["claim_number"] if source["table"] == "claims" else None
    ts = _whole(source.get("ts_ms")) or _whole(payload.get("ts_ms")) or 0
    return RowChange(source["table"], op, row["contract_number"], claim, row, lsn, ts), ()


def _whole(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _source_problems(source: dict[str, Any], op: object) -> list[Reason]:
    """A snapshot read (op r) may carry no change LSN and no serial number: it is at the snapshot's commit LSN."""
    problems = []
    if source.get("table") not in TABLES:
        problems.append(_schema("payload.source.table", f"table must be one of {', '.join(TABLES)}"))
    snapshot = op == ChangeOp.READ.value
    for name in ("commit_lsn", "change_lsn"):
        value = source.get(name)
        if value is None and snapshot and name == "change_lsn":
            continue
        if not isinstance(value, str) or not _LSN.fullmatch(value):
            problems.append(_schema(f"payload.source.{name}", f"{name} must look like 0000002a:00000a10:0003"))
    serial = _whole(source.get("event_serial_no"))
    if not (source.get("event_serial_no") is None and snapshot) and (serial is None or serial < 0):
        problems.append(_schema("payload.source.event_serial_no", "event_serial_no must be a whole number"))
    return problems


def _op_problems(payload: dict[str, Any]) -> list[Reason]:
    op = payload.get("op")
    if not isinstance(op, str) or op not in {o.value for o in ChangeOp}:
        return [_schema("payload.op", "op must be c, u, d or r")]
    image = "before" if op == ChangeOp.DELETE.value else "after"
    if not isinstance(payload.get(image), dict):
        return [_schema(f"payload.{image}", f"a change with op {op!r} needs payload.{image}")]
    return []


def _row_problems(table: str, row: dict[str, Any], op: ChangeOp) -> list[Reason]:
    problems = []
    if not isinstance(row.get("contract_number"), str) or not _NUMBER.fullmatch(row["contract_number"]):
        problems.append(_schema("contract_number", "contract_number must match ^[A-Z0-9-]{6,20}$"))
    claim = row.get("claim_number")
    if table == "claims" and (not isinstance(claim, str) or not _NUMBER.fullmatch(claim)):
        problems.append(_schema("claim_number", "claim_number must match ^[A-Z0-9-]{6,20}$"))
    if op is ChangeOp.DELETE:
        return problems
    if table == "contracts" and row.get("status") not in BACK_OFFICE_STATUSES:
        problems.append(_schema("status", f"status must be one of {', '.join(BACK_OFFICE_STATUSES)}"))
    if table == "claims":
        problems.extend(_claim_problems(row))
    return problems


def _claim_problems(row: dict[str, Any]) -> list[Reason]:
    problems = []
    if not isinstance(row.get("status"), str) or not row["status"]:
        problems.append(_schema("status", "a claim needs a status"))
    amount = row.get("paid_amount")
    if amount is not None and (not isinstance(amount, str) or parse_money(amount) is None):
        problems.append(_schema("paid_amount", "paid_amount must be a decimal string with 2 places, or null"))
    paid = row.get("paid_date")
    if paid is not None and not _is_date(paid):
        problems.append(_schema("paid_date", "paid_date must be an ISO date, or null"))
    return problems


def _is_date(value: object) -> bool:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _malformed(message: str) -> Reason:
    return Reason(ReasonCode.MALFORMED, None, message)


def _schema(where: str, message: str) -> Reason:
    return Reason(ReasonCode.SCHEMA_INVALID, where, message)


@dataclass(frozen=True)
class RowVersion:
    """One source row as last applied: its values (None once deleted) and the position that wrote them."""

    lsn: Lsn
    values: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        return {"lsn": str(self.lsn), "values": self.values}

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
    def claims_paid(self) -> Decimal:
        """What the refund rules deduct: the paid amounts of the contract's claims in status PAID."""
        total = Decimal("0.00")
        for claim in self.claims.values():
            values = claim.values
            if values and values.get("status") == "PAID" and values.get("paid_amount"):
                total += Decimal(values["paid_amount"])
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
    before: dict[str, Any] | None
    after: dict[str, Any] | None
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
