"""A Debezium SQL Server connector, as far as its output goes: the records it writes to a topic through Kafka's
JSON converter, built from the connector's documented schema, not from the exchange's parser.

Defaults (what a connector gets when nobody sets them): `decimal.handling.mode=precise` (DECIMAL, NUMERIC and
MONEY as `org.apache.kafka.connect.data.Decimal`: base64 of the big-endian two's-complement unscaled value, the
scale and precision as string parameters), `time.precision.mode=adaptive` (DATE as `io.debezium.time.Date`, days
since 1970-01-01; DATETIME and DATETIME2(0-3) as `Timestamp` in ms, DATETIME2(4-6) as `MicroTimestamp`,
DATETIME2(7) as `NanoTimestamp`, the wall clock read as UTC), `value.converter.schemas.enable=true` (every value
is `{"schema": ..., "payload": ...}`), `tombstones.on.delete=true` (a delete is followed by a null value, which the
JSON converter writes as no bytes), topics named `<topic.prefix>.<database>.<schema>.<table>`.
The other modes a deployment may choose are here too: `decimal_mode="string"` or `"double"`, `schemas=False`.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

VERSION = "3.1.2.Final"
SNAPSHOT_VALUES = "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"
_TYPE = re.compile(r"(?P<base>[A-Z0-9]+)(\((?P<args>[0-9, ]+|MAX)\))?")
_EPOCH = date(1970, 1, 1)

Row = Mapping[str, Any]
DecimalMode = Literal["precise", "string", "double"]


@dataclass(frozen=True)
class SqlColumn:
    """A column as `CREATE TABLE` declares it, e.g. `SqlColumn("paid_amount", "DECIMAL(10,2)")`."""

    name: str
    sql_type: str
    optional: bool = True

    @property
    def base(self) -> str:
        match = _TYPE.fullmatch(self.sql_type)
        assert match, self.sql_type
        return match["base"]

    @property
    def args(self) -> tuple[int, ...]:
        match = _TYPE.fullmatch(self.sql_type)
        assert match, self.sql_type
        raw = match["args"]
        return tuple(int(a) for a in raw.split(",")) if raw and raw != "MAX" else ()

    @property
    def precision_scale(self) -> tuple[int, int]:
        if self.base == "MONEY":
            return 19, 4
        if self.base == "SMALLMONEY":
            return 10, 4
        if len(self.args) >= 2:
            return self.args[0], self.args[1]
        return (self.args[0], 0) if self.args else (18, 0)  # DECIMAL(p) has scale 0; DECIMAL alone is (18, 0)


@dataclass(frozen=True)
class SqlTable:
    name: str
    columns: tuple[SqlColumn, ...]
    key: tuple[str, ...]
    schema: str = "dbo"


# The policy-administration tables as the back office declares them: more columns than the exchange uses.
CONTRACTS = SqlTable("contracts", (
    SqlColumn("contract_number", "CHAR(20)", optional=False),
    SqlColumn("status", "VARCHAR(12)", optional=False),
    SqlColumn("refund_paid_date", "DATE"),
    SqlColumn("premium", "MONEY"),
    SqlColumn("underwriter_notes", "NVARCHAR(MAX)"),
    SqlColumn("modified_at", "DATETIME2(7)", optional=False),
    SqlColumn("row_version", "INT", optional=False),
), key=("contract_number",))
CLAIMS = SqlTable("claims", (
    SqlColumn("claim_number", "NVARCHAR(20)", optional=False),
    SqlColumn("contract_number", "CHAR(20)", optional=False),
    SqlColumn("status", "VARCHAR(10)", optional=False),
    SqlColumn("paid_amount", "DECIMAL(10,2)"),
    SqlColumn("paid_date", "DATE"),
    SqlColumn("reserve_amount", "MONEY"),
    SqlColumn("adjuster_notes", "NVARCHAR(MAX)"),
    SqlColumn("reopened", "BIT", optional=False),
    SqlColumn("entered_at", "DATETIME", optional=False),
), key=("claim_number",))


@dataclass(frozen=True)
class Position:
    """Where a change sits in SQL Server's log, as the connector prints it: `0000002a:00000a10:0003`."""

    commit: int
    change: int
    serial: int = 1

    @staticmethod
    def lsn(value: int) -> str:
        return f"{value >> 48 & 0xFFFFFFFF:08x}:{value >> 16 & 0xFFFFFFFF:08x}:{value & 0xFFFF:04x}"


@dataclass
class Connector:
    """One connector (`topic.prefix`, one database); every method returns the bytes of one message's value."""

    prefix: str = "policyadmin"
    database: str = "policyadmin"
    decimal_mode: DecimalMode = "precise"
    schemas: bool = True

    # ----- row changes -------------------------------------------------------------------------------------------

    def change(self, table: SqlTable, op: Literal["c", "u", "d", "r"], before: Row | None, after: Row | None,
               at: Position, ts: datetime, *, snapshot: str = "false") -> bytes:
        streaming = op != "r"
        source = self._source(table, ts, snapshot=snapshot, change_lsn=Position.lsn(at.change) if streaming else None,
                              commit_lsn=Position.lsn(at.commit), serial=at.serial if streaming else None)
        emitted = _ms(ts) + 350  # the connector writes the event a little after the database made the change
        payload = {
            "before": self._row(table, before), "after": self._row(table, after), "source": source,
            "transaction": None, "op": op, "ts_ms": emitted, "ts_us": emitted * 1000, "ts_ns": emitted * 1_000_000,
        }
        return self._value(self._envelope_schema(table), payload)

    def truncate(self, table: SqlTable, at: Position, ts: datetime) -> bytes:
        """The `t` envelope of Debezium's Envelope.truncate (SQL Server's own CDC refuses TRUNCATE on a captured
        table, so this arrives only from a connector or tool that emits it)."""
        source = self._source(table, ts, change_lsn=Position.lsn(at.change), commit_lsn=Position.lsn(at.commit),
                              serial=at.serial)
        payload = {"before": None, "after": None, "source": source, "transaction": None, "op": "t",
                   "ts_ms": _ms(ts), "ts_us": _ms(ts) * 1000, "ts_ns": _ms(ts) * 1_000_000}
        return self._value(self._envelope_schema(table), payload)

    @staticmethod
    def tombstone() -> bytes:
        """After a delete: a null value, which the JSON converter writes as no bytes at all."""
        return b""

    # ----- side records --------------------------------------------------------------------------------------------

    def heartbeat(self, ts: datetime) -> bytes:
        """`heartbeat.interval.ms` > 0: the value on `__debezium-heartbeat.<prefix>`."""
        schema = {"type": "struct", "fields": [{"type": "int64", "optional": False, "field": "ts_ms"}],
                  "optional": False, "name": "io.debezium.connector.common.Heartbeat", "version": 1}
        return self._value(schema, {"ts_ms": _ms(ts)})

    def transaction(self, status: Literal["BEGIN", "END"], at: Position, ts: datetime,
                    counts: Mapping[str, int] | None = None) -> bytes:
        """`provide.transaction.metadata=true`: BEGIN and END on `<prefix>.transaction`; the id is the commit LSN."""
        collection = {"type": "struct", "fields": [
            {"type": "string", "optional": False, "field": "data_collection"},
            {"type": "int64", "optional": False, "field": "event_count"},
        ], "optional": False, "name": "event.collection", "version": 1}
        schema = {"type": "struct", "fields": [
            {"type": "string", "optional": False, "field": "status"},
            {"type": "string", "optional": False, "field": "id"},
            {"type": "int64", "optional": True, "field": "event_count"},
            {"type": "array", "items": collection, "optional": True, "field": "data_collections"},
            {"type": "int64", "optional": False, "field": "ts_ms"},
        ], "optional": False, "name": "io.debezium.connector.common.TransactionMetadataValue", "version": 1}
        ended = status == "END" and counts is not None
        payload = {
            "status": status, "id": Position.lsn(at.commit),
            "event_count": sum(counts.values()) if ended and counts else None,
            "data_collections": [
                {"data_collection": f"{self.database}.dbo.{name}", "event_count": n} for name, n in counts.items()
            ] if ended and counts else None,
            "ts_ms": _ms(ts),
        }
        return self._value(schema, payload)

    def schema_change(self, table: SqlTable, at: Position, ts: datetime) -> bytes:
        """`include.schema.changes=true`: a table's new structure on `<prefix>`; SQL Server gives no DDL text."""
        columns = [
            {"name": c.name, "jdbcType": 0, "nativeType": None, "typeName": c.base.lower(),
             "typeExpression": c.base.lower(), "charsetName": None, "length": (c.args or (None,))[0],
             "scale": c.args[1] if len(c.args) > 1 else None, "position": i, "optional": c.optional,
             "autoIncremented": False, "generated": False, "comment": None, "defaultValueExpression": None,
             "enumValues": None}
            for i, c in enumerate(table.columns, start=1)
        ]
        change = {"type": "ALTER", "id": f'"{self.database}"."{table.schema}"."{table.name}"',
                  "table": {"defaultCharsetName": None, "primaryKeyColumnNames": list(table.key),
                            "columns": columns, "comment": None}}
        source = self._source(table, ts, change_lsn=None, commit_lsn=Position.lsn(at.commit), serial=None)
        schema = {"type": "struct", "fields": [
            {**self._source_schema(), "field": "source"},
            {"type": "int64", "optional": False, "field": "ts_ms"},
            {"type": "string", "optional": True, "field": "databaseName"},
            {"type": "string", "optional": True, "field": "schemaName"},
            {"type": "string", "optional": True, "field": "ddl"},
            {"type": "array", "items": {"type": "struct", "optional": False,
                                        "name": "io.debezium.connector.schema.Change", "version": 1},
             "optional": False, "field": "tableChanges"},
        ], "optional": False, "name": "io.debezium.connector.sqlserver.SchemaChangeValue", "version": 1}
        payload = {"source": source, "ts_ms": _ms(ts), "databaseName": self.database, "schemaName": table.schema,
                   "ddl": None, "tableChanges": [change]}
        return self._value(schema, payload)

    # ----- the JSON converter ------------------------------------------------------------------------------------

    def _value(self, schema: dict[str, Any], payload: dict[str, Any]) -> bytes:
        document = {"schema": schema, "payload": payload} if self.schemas else payload
        return json.dumps(document, separators=(",", ":")).encode("utf-8")

    def _source(self, table: SqlTable, ts: datetime, *, change_lsn: str | None, commit_lsn: str | None,
                serial: int | None, snapshot: str = "false") -> dict[str, Any]:
        return {
            "version": VERSION, "connector": "sqlserver", "name": self.prefix, "ts_ms": _ms(ts),
            "snapshot": snapshot, "db": self.database, "sequence": None, "ts_us": _ms(ts) * 1000,
            "ts_ns": _ms(ts) * 1_000_000, "schema": table.schema, "table": table.name,
            "change_lsn": change_lsn, "commit_lsn": commit_lsn, "event_serial_no": serial,
        }

    def _source_schema(self) -> dict[str, Any]:
        def plain(kind: str, name: str, optional: bool = False) -> dict[str, Any]:
            return {"type": kind, "optional": optional, "field": name}

        snapshot = {"type": "string", "optional": True, "name": "io.debezium.data.Enum", "version": 1,
                    "parameters": {"allowed": SNAPSHOT_VALUES}, "default": "false", "field": "snapshot"}
        return {"type": "struct", "fields": [
            plain("string", "version"), plain("string", "connector"), plain("string", "name"),
            plain("int64", "ts_ms"), snapshot, plain("string", "db"), plain("string", "sequence", True),
            plain("int64", "ts_us", True), plain("int64", "ts_ns", True), plain("string", "schema"),
            plain("string", "table"), plain("string", "change_lsn", True), plain("string", "commit_lsn", True),
            plain("int64", "event_serial_no", True),
        ], "optional": False, "name": "io.debezium.connector.sqlserver.Source", "version": 1}

    def _envelope_schema(self, table: SqlTable) -> dict[str, Any]:
        topic = f"{self.prefix}.{self.database}.{table.schema}.{table.name}"
        value = {"type": "struct", "fields": [self._column_schema(c) for c in table.columns], "optional": True,
                 "name": f"{topic}.Value"}
        block = {"type": "struct", "fields": [
            {"type": "string", "optional": False, "field": "id"},
            {"type": "int64", "optional": False, "field": "total_order"},
            {"type": "int64", "optional": False, "field": "data_collection_order"},
        ], "optional": True, "name": "event.block", "version": 1, "field": "transaction"}
        return {"type": "struct", "fields": [
            {**value, "field": "before"}, {**value, "field": "after"}, {**self._source_schema(), "field": "source"},
            block, {"type": "string", "optional": False, "field": "op"},
            *({"type": "int64", "optional": True, "field": name} for name in ("ts_ms", "ts_us", "ts_ns")),
        ], "optional": False, "name": f"{topic}.Envelope", "version": 2}

    def _column_schema(self, column: SqlColumn) -> dict[str, Any]:
        """The SQL Server connector's documented data type mapping, for the types these tables use."""
        base, optional = column.base, column.optional
        if base in ("DECIMAL", "NUMERIC", "MONEY", "SMALLMONEY"):
            if self.decimal_mode != "precise":
                kind = "string" if self.decimal_mode == "string" else "double"
                return {"type": kind, "optional": optional, "field": column.name}
            precision, scale = column.precision_scale
            return {"type": "bytes", "optional": optional, "name": "org.apache.kafka.connect.data.Decimal",
                    "version": 1, "parameters": {"scale": str(scale), "connect.decimal.precision": str(precision)},
                    "field": column.name}
        if base == "DATE":
            return {"type": "int32", "optional": optional, "name": "io.debezium.time.Date", "version": 1,
                    "field": column.name}
        if base in ("DATETIME", "SMALLDATETIME", "DATETIME2"):
            return {"type": "int64", "optional": optional, "name": _timestamp_type(column), "version": 1,
                    "field": column.name}
        simple = {"INT": "int32", "SMALLINT": "int16", "TINYINT": "int16", "BIGINT": "int64", "BIT": "boolean"}
        return {"type": simple.get(base, "string"), "optional": optional, "field": column.name}

    def _row(self, table: SqlTable, row: Row | None) -> dict[str, Any] | None:
        if row is None:
            return None
        return {c.name: self._encode(c, row.get(c.name)) for c in table.columns}

    def _encode(self, column: SqlColumn, value: Any) -> Any:
        if value is None:
            return None
        base = column.base
        if base in ("DECIMAL", "NUMERIC", "MONEY", "SMALLMONEY"):
            return self._decimal(column, Decimal(value))
        if base == "DATE":
            return (value - _EPOCH).days
        if base in ("DATETIME", "SMALLDATETIME", "DATETIME2"):
            ticks = {"io.debezium.time.Timestamp": 1_000, "io.debezium.time.MicroTimestamp": 1_000_000,
                     "io.debezium.time.NanoTimestamp": 1_000_000_000}[_timestamp_type(column)]
            wall = value.replace(tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)  # the wall clock, read as UTC
            return (wall.days * 86_400 + wall.seconds) * ticks + wall.microseconds * ticks // 1_000_000
        if base == "CHAR":
            return str(value).ljust(column.args[0])  # SQL Server pads CHAR(n) with blanks
        return value

    def _decimal(self, column: SqlColumn, value: Decimal) -> Any:
        _, scale = column.precision_scale
        exact = value.quantize(Decimal(1).scaleb(-scale))
        if self.decimal_mode == "string":
            return f"{exact:f}"  # BigDecimal.toPlainString() keeps the column's scale: 412.3700 for MONEY
        if self.decimal_mode == "double":
            return float(exact)
        return unscaled_base64(int(exact.scaleb(scale)))


def unscaled_base64(unscaled: int) -> str:
    """Java's BigInteger.toByteArray(): the shortest big-endian two's complement, then base64."""
    length = (unscaled if unscaled >= 0 else ~unscaled).bit_length() // 8 + 1
    return base64.b64encode(unscaled.to_bytes(length, "big", signed=True)).decode("ascii")


def _timestamp_type(column: SqlColumn) -> str:
    digits = 3 if column.base in ("DATETIME", "SMALLDATETIME") else (column.args or (7,))[0]
    if digits <= 3:
        return "io.debezium.time.Timestamp"
    return "io.debezium.time.MicroTimestamp" if digits <= 6 else "io.debezium.time.NanoTimestamp"


def _ms(ts: datetime) -> int:
    return (ts - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
