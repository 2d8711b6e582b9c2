"""Reading one change-feed message: a Debezium envelope (EVENTS.md, "Change feed"), with or without the JSON
converter's schema wrapper, into a row change, a side record, or the reasons it is neither."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from function_app.domain.change_feed.debezium import row_schemas
from function_app.domain.change_feed.records import ChangeOp, ChangeRecord, Lsn, RowChange, SideRecord
from function_app.domain.change_feed.rows import TABLES, read_row, schema_invalid
from function_app.domain.kernel.feedback import Reason, ReasonCode

TRUNCATE = "t"
MAX_CHANGE_BYTES = 1024 * 1024  # Event Hubs' largest message: a row's unused columns may be large; they are dropped
SNAPSHOT_CHANGE_LSN = "00000000:00000000:0000"
HEARTBEAT_SCHEMA = "io.debezium.connector.common.Heartbeat"
TRANSACTION_SCHEMA = "io.debezium.connector.common.TransactionMetadataValue"
SCHEMA_CHANGE_SUFFIX = ".SchemaChangeValue"
_LSN = re.compile(r"^[0-9A-Fa-f]{8}:[0-9A-Fa-f]{8}:[0-9A-Fa-f]{4}$")
_LATEST_TS_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
_TRANSACTION_KEYS = frozenset({"status", "id", "event_count", "data_collections", "ts_ms"})
_SCHEMA_CHANGE_KEYS = frozenset({"databaseName", "schemaName", "ddl", "tableChanges"})


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
    table = source["table"]
    row, row_problems = read_row(table, payload[image], row_schemas(schema, image), op)
    if row_problems:
        return _refused(*row_problems)
    change_lsn = source.get("change_lsn") or SNAPSHOT_CHANGE_LSN
    lsn = Lsn(source["commit_lsn"].lower(), change_lsn.lower(), int(source.get("event_serial_no") or 0))
    contract = row["contract_number"]
    assert contract is not None  # read_row refuses a row without one
    claim = row["claim_number"] if table == "claims" else None
    ts = _epoch_ms(source.get("ts_ms")) or _epoch_ms(payload.get("ts_ms")) or 0
    return ChangeRecord(RowChange(table, op, contract, claim, row, lsn, ts))


def _whole(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _epoch_ms(value: object) -> int | None:
    ms = _whole(value)
    return ms if ms is not None and 0 <= ms <= _LATEST_TS_MS else None


def _source_problems(source: dict[str, Any], op: object) -> list[Reason]:
    """A snapshot read (op r) may carry no change LSN and no serial number: it is at the snapshot's commit LSN."""
    problems = []
    if source.get("table") not in TABLES:
        problems.append(schema_invalid("payload.source.table", f"table must be one of {', '.join(TABLES)}"))
    snapshot = op == ChangeOp.READ.value
    for name in ("commit_lsn", "change_lsn"):
        value = source.get(name)
        if value is None and snapshot and name == "change_lsn":
            continue
        if not isinstance(value, str) or not _LSN.fullmatch(value):
            problems.append(schema_invalid(f"payload.source.{name}", f"{name} must look like 0000002a:00000a10:0003"))
    serial = _whole(source.get("event_serial_no"))
    if not (source.get("event_serial_no") is None and snapshot) and (serial is None or serial < 0):
        problems.append(schema_invalid("payload.source.event_serial_no", "event_serial_no must be a whole number"))
    if source.get("ts_ms") is not None and _epoch_ms(source["ts_ms"]) is None:
        problems.append(schema_invalid("payload.source.ts_ms", "ts_ms must be milliseconds since 1970-01-01"))
    return problems


def _op_problems(payload: dict[str, Any]) -> list[Reason]:
    op = payload.get("op")
    if not isinstance(op, str) or op not in {o.value for o in ChangeOp}:
        return [schema_invalid("payload.op", "op must be c, u, d or r")]
    image = "before" if op == ChangeOp.DELETE.value else "after"
    if not isinstance(payload.get(image), dict):
        return [schema_invalid(f"payload.{image}", f"a change with op {op!r} needs payload.{image}")]
    return []


def _refused(*reasons: Reason) -> ChangeRecord:
    return ChangeRecord(reasons=reasons)


def _malformed(message: str) -> Reason:
    return Reason(ReasonCode.MALFORMED, None, message)
