"""The provider's policy-administration database as the exchange sees it: Debezium row changes (EVENTS.md,
"Change feed"), applied per row in log-sequence order, so an older change never overwrites a newer one."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from function_app.domain.change_feed.debezium import Column, ColumnType, Unreadable, decode, row_schemas
from function_app.domain.kernel.feedback import Reason, ReasonCode

TABLES = ("contracts", "claims")
BACK_OFFICE_STATUSES = ("ACTIVE", "CANCELLED", "EXPIRED", "SUSPENDED")
# The columns the exchange uses, by table; any other column is ignored, never stored.
COLUMNS = {
    "contracts": (Column("contract_number", ColumnType.TEXT, 20), Column("status", ColumnType.TEXT, 20),
                  Column("refund_paid_date", ColumnType.DATE)),
    "claims": (Column("claim_number", ColumnType.TEXT, 20), Column("contract_number", ColumnType.TEXT, 20),
               Column("status", ColumnType.TEXT, 30), Column("paid_amount", ColumnType.MONEY, scale=2),
               Column("paid_date", ColumnType.DATE)),
}
_LSN = re.compile(r"^[0-9A-Fa-f]{8}:[0-9A-Fa-f]{8}:[0-9A-Fa-f]{4}$")
_NUMBER = re.compile(r"^[A-Z0-9-]{6,20}$")
_CLAIM_STATUS = re.compile(r"^[A-Za-z0-9_-]{1,30}$")
_LATEST_TS_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
MAX_CHANGE_BYTES = 1024 * 1024  # Event Hubs' largest message: a row's unused columns may be large; they are dropped
SNAPSHOT_CHANGE_LSN = "00000000:00000000:0000"
HEARTBEAT_SCHEMA = "io.debezium.connector.common.Heartbeat"
TRANSACTION_SCHEMA = "io.debezium.connector.common.TransactionMetadataValue"
SCHEMA_CHANGE_SUFFIX = ".SchemaChangeValue"
_TRANSACTION_KEYS = frozenset({"status", "id", "event_count", "data_collections", "ts_ms"})
_SCHEMA_CHANGE_KEYS = frozenset({"databaseName", "schemaName", "ddl", "tableChanges"})


class ChangeOp(StrEnum):
    CREATE = "c"
    UPDATE = "u"
    DELETE = "d"
    READ = "r"  # a snapshot read: the row as it was when the connector started


TRUNCATE = "t"


class SideRecord(StrEnum):
    """A record on the change feed that carries no row change: skipped and counted, never dead-lettered."""

    TOMBSTONE = "tombstone"  # empty body or null, sent after a delete for log compaction
    HEARTBEAT = "heartbeat"
    TRANSACTION = "transaction"  # BEGIN / END transaction metadata
    SCHEMA_CHANGE = "schema_change"


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
    row: dict[str, Any]  # `after`, or `before` for a delete: the columns the exchange uses, decoded
    lsn: Lsn
    ts_ms: int  # source.ts_ms: when the database made the change; 0 when the connector did not say

    @property
    def row_key(self) -> str:
        return self.claim_number or self.contract_number

    def time(self) -> datetime | None:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=self.ts_ms) if self.ts_ms > 0 else None

    def business_date(self, zone: ZoneInfo) -> date | None:
        """The change's business date: the day of `source.ts_ms` in the business time zone."""
        when = self.time()
        return when.astimezone(zone).date() if when else None


@dataclass(frozen=True)
class ChangeRecord:
    """One message of the change feed: a row change, a side record, or the reasons it is neither."""

    change: RowChange | None = None
    side: SideRecord | None = None
    reasons: tuple[Reason, ...] = ()


def parse_change(body: bytes) -> tuple[RowChange | None, tuple[Reason, ...]]:
    """A Debezium change, or the reasons it is not one the exchange can apply (none for a side record)."""
    record = read_record(body)
    return record.change, record.reasons


def read_record(body: bytes) -> ChangeRecord:
    if len(body) > MAX_CHANGE_BYTES:
        return _refused(_malformed(f"message body is {len(body)} bytes; the limit is {MAX_CHANGE_BYTES}"))
    if not body.strip():
        return ChangeRecord(side=SideRecord.TOMBSTONE)
    try:
        document = json.loads(body.decode("utf-8"), parse_float=Decimal)  # money never passes through a float
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return _refused(_malformed(f"message body is not UTF-8 JSON: {str(exc)[:200]}"))
    if document is None or _is_null_wrapper(document):
        return ChangeRecord(side=SideRecord.TOMBSTONE)
    wrapped = isinstance(document, dict) and "payload" in document
    payload = document["payload"] if wrapped else document
    schema = document.get("schema") if wrapped else None
    if not isinstance(payload, dict):
        return _refused(_malformed("not a Debezium change: no payload object"))
    side = _side_record(payload, schema)
    if side is not None:
        return ChangeRecord(side=side)
    if payload.get("op") == TRUNCATE:
        return _refused(_truncated(payload))
    return _change(payload, schema)


def _is_null_wrapper(document: object) -> bool:
    """What the JSON converter writes for a null value with schemas enabled: {"schema": null, "payload": null}."""
    return isinstance(document, dict) and "payload" in document and document["payload"] is None \
        and set(document) <= {"schema", "payload"}


def _side_record(payload: dict[str, Any], schema: object) -> SideRecord | None:
    """Heartbeats, transaction metadata and schema changes, by their schema's name or, unwrapped, by their shape."""
    if "op" in payload:
        return None
    name = schema.get("name") if isinstance(schema, dict) else None
    name = name if isinstance(name, str) else ""
    keys = set(payload)
    if name.endswith(HEARTBEAT_SCHEMA) or keys == {"ts_ms"} or keys == {"serverName"}:
        return SideRecord.HEARTBEAT
    if name.endswith(TRANSACTION_SCHEMA) or (payload.get("status") in ("BEGIN", "END") and keys <= _TRANSACTION_KEYS):
        return SideRecord.TRANSACTION
    if name.endswith(SCHEMA_CHANGE_SUFFIX) or keys & _SCHEMA_CHANGE_KEYS:
        return SideRecord.SCHEMA_CHANGE
    return None


def _truncated(payload: dict[str, Any]) -> Reason:
    source = payload.get("source")
    table = source.get("table") if isinstance(source, dict) else None
    named = f"table {table[:64]!r}" if isinstance(table, str) else "a table"
    message = (f"{named} was truncated in the policy-administration database; a truncate names no rows, so the "
               "exchange cannot apply it: have the connector re-snapshot the table")
    return Reason(ReasonCode.TABLE_TRUNCATED, "payload.op", message)


def _change(payload: dict[str, Any], schema: object) -> ChangeRecord:
    source = payload.get("source")
    if not isinstance(source, dict):
        return _refused(_malformed("payload.source is missing"))
    problems = _source_problems(source, payload.get("op")) + _op_problems(payload)
    if problems:
        return _refused(*problems)
    op = ChangeOp(payload["op"])
    image = "before" if op is ChangeOp.DELETE else "after"
    row, unreadable = _decoded_row(source["table"], payload[image], row_schemas(schema, image))
    refused = {r.field for r in unreadable}
    row_problems = unreadable + [r for r in _row_problems(source["table"], row, op) if r.field not in refused]
    if row_problems:
        order = [column.name for column in COLUMNS[source["table"]]]
        return _refused(*sorted(row_problems, key=lambda r: order.index(r.field) if r.field in order else 0))
    change_lsn = source.get("change_lsn") or SNAPSHOT_CHANGE_LSN
    lsn = Lsn(source["commit_lsn"].lower(), change_lsn.lower(), int(source.get("event_serial_no") or 0))
    claim = row["claim_number"] if source["table"] == "claims" else None
    ts = _epoch_ms(source.get("ts_ms")) or _epoch_ms(payload.get("ts_ms")) or 0
    return ChangeRecord(RowChange(source["table"], op, row["contract_number"], claim, row, lsn, ts))


def _decoded_row(table: str, raw: dict[str, Any], schemas: dict[str, Any]) -> tuple[dict[str, Any], list[Reason]]:
    """The columns the exchange uses, decoded by their declared type; every other column is left behind."""
    row: dict[str, Any] = {}
    problems = []
    for column in COLUMNS[table]:
        if column.name not in raw:
            continue
        try:
            row[column.name] = decode(column, raw[column.name], schemas.get(column.name))
        except Unreadable as exc:
            problems.append(_schema(column.name, f"{column.name} {exc}"))
    return row, problems


def _whole(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _epoch_ms(value: object) -> int | None:
    ms = _whole(value)
    return ms if ms is not None and 0 <= ms <= _LATEST_TS_MS else None


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
    if source.get("ts_ms") is not None and _epoch_ms(source["ts_ms"]) is None:
        problems.append(_schema("payload.source.ts_ms", "ts_ms must be milliseconds since 1970-01-01"))
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
    if table == "claims" and not (isinstance(row.get("status"), str) and _CLAIM_STATUS.fullmatch(row["status"])):
        problems.append(_schema("status", "a claim needs a status of 1 to 30 letters, digits, - or _"))
    return problems


def _refused(*reasons: Reason) -> ChangeRecord:
    return ChangeRecord(reasons=reasons)


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
