"""Column values as a Debezium connector writes them (EVENTS.md, "Change feed"), decoded in this one place by the
column's declared type, whatever the connector's handling modes and whether the JSON converter attached its schema.

Money: `org.apache.kafka.connect.data.Decimal` (base64 of the big-endian two's-complement unscaled value, the scale
in the schema's `parameters.scale`), `decimal.handling.mode=string` ("412.3700") or `double` (412.37), never via
binary float arithmetic. Dates: `io.debezium.time.Date` (days since 1970-01-01), epoch milli/micro/nanoseconds
(`Timestamp`, `MicroTimestamp`, `NanoTimestamp`) or ISO text. Text: SQL Server pads CHAR(n), so trailing blanks go.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from function_app.domain.kernel.money import CENT

DECIMAL = "org.apache.kafka.connect.data.Decimal"
DATE = "io.debezium.time.Date"
TIMESTAMP_UNITS = {  # ticks per second of each epoch timestamp type
    "io.debezium.time.Timestamp": 1_000,
    "io.debezium.time.MicroTimestamp": 1_000_000,
    "io.debezium.time.NanoTimestamp": 1_000_000_000,
}
MAX_MONEY = Decimal("9999999.99")
EARLIEST = date(1900, 1, 1)
LATEST = date(9998, 12, 31)  # leaves room for date arithmetic downstream (a day, a month) without overflow
_EPOCH = date(1970, 1, 1)
_PLAIN_DECIMAL = re.compile(r"[0-9]{1,18}(\.[0-9]{1,18})?")  # Java's BigDecimal.toPlainString(), non-negative
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}Z?")
_ISO_INSTANT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{5,18}(Z|[+-][0-9]{2}:[0-9]{2})?")
_REFUSED_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})  # control characters and line/paragraph separators


class ColumnType(StrEnum):
    TEXT = "text"
    MONEY = "money"
    DATE = "date"


@dataclass(frozen=True)
class Column:
    """A source column the exchange uses; its scale is what money has when no schema is attached."""

    name: str
    type: ColumnType
    max_chars: int = 40
    scale: int = 2


class Unreadable(ValueError):
    """The value cannot be what its column declares, or cannot be stored; the message says why."""


def decode(column: Column, value: object, schema: Mapping[str, Any] | None = None) -> str | None:
    """The value as the exchange stores it (text; money with two places; an ISO date), or None for a null."""
    if value is None:
        return None
    if column.type is ColumnType.MONEY:
        return f"{decode_money(value, schema, column.scale):f}"
    if column.type is ColumnType.DATE:
        return decode_date(value, schema).isoformat()
    return decode_text(value, column.max_chars)


def decode_text(value: object, max_chars: int) -> str:
    if not isinstance(value, str):
        raise Unreadable(f"must be text, not {_kind(value)}")
    text = value.rstrip(" ")
    if len(text) > max_chars:
        raise Unreadable(f"is {len(text)} characters long; at most {max_chars} are stored")
    if any(unicodedata.category(c) in _REFUSED_CATEGORIES for c in text):
        raise Unreadable("holds a control character or a line separator")
    return text


def decode_money(value: object, schema: Mapping[str, Any] | None, known_scale: int) -> Decimal:
    """An amount in whole cents, from any of the connector's decimal encodings."""
    amount = _amount(value, schema, known_scale)
    if not amount.is_finite() or amount < 0 or amount > MAX_MONEY:
        raise Unreadable(f"must be an amount from 0.00 to {MAX_MONEY}")
    if amount != amount.quantize(CENT):
        raise Unreadable(f"{amount} is not a whole number of cents")
    return amount.quantize(CENT)


def _amount(value: object, schema: Mapping[str, Any] | None, known_scale: int) -> Decimal:
    if isinstance(value, bool):
        raise Unreadable("must be an amount, not a boolean")
    if isinstance(value, Decimal | int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))  # the double's shortest text: 412.37 stays 412.37
    if not isinstance(value, str):
        raise Unreadable(f"must be an amount, not {_kind(value)}")
    if schema is not None:
        if schema.get("name") == DECIMAL:
            return _unscaled(value, _scale(schema))
        return _plain(value)
    if "." in value or not _is_base64(value):  # string mode writes the column's scale: "412.3700", never "41237"
        return _plain(value)
    return _unscaled(value, known_scale)


def _plain(text: str) -> Decimal:
    if not _PLAIN_DECIMAL.fullmatch(text):
        raise Unreadable("must be a plain decimal number such as 412.37")
    return Decimal(text)


def _is_base64(text: str) -> bool:
    return bool(text) and len(text) % 4 == 0 and re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", text) is not None


def _unscaled(text: str, scale: int) -> Decimal:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Unreadable("is not the base64 of a Kafka Connect Decimal") from exc
    if not 1 <= len(raw) <= 16:
        raise Unreadable("is not the base64 of a Kafka Connect Decimal of at most 16 bytes")
    return Decimal(int.from_bytes(raw, "big", signed=True)).scaleb(-scale)


def _scale(schema: Mapping[str, Any]) -> int:
    parameters = schema.get("parameters")
    raw = parameters.get("scale") if isinstance(parameters, Mapping) else None
    try:
        scale = int(raw) if isinstance(raw, int | str) and not isinstance(raw, bool) else -1
    except ValueError:
        scale = -1
    if not 0 <= scale <= 18:
        raise Unreadable("the schema declares a Decimal without a scale from 0 to 18")
    return scale


def decode_date(value: object, schema: Mapping[str, Any] | None) -> date:
    """A calendar date from days since the epoch, an epoch timestamp, or ISO text (a trailing Z allowed)."""
    day = _date(value, schema)
    if not EARLIEST <= day <= LATEST:
        raise Unreadable(f"{day.isoformat()} is outside {EARLIEST.isoformat()} to {LATEST.isoformat()}")
    return day


def _date(value: object, schema: Mapping[str, Any] | None) -> date:
    name = schema.get("name") if schema is not None else None
    if isinstance(value, int) and not isinstance(value, bool):
        if name in TIMESTAMP_UNITS:
            return decode_instant(value, TIMESTAMP_UNITS[str(name)]).date()
        if name == DATE or schema is not None or abs(value) < 10**11:  # 10**11 ms is in 1973, 10**11 days never
            return _days(value)
        return decode_instant(value, _unit_by_size(value)).date()  # no schema: milli-, micro- or nanoseconds
    if isinstance(value, str):
        if _ISO_DATE.fullmatch(value):
            return _iso(lambda: date.fromisoformat(value.removesuffix("Z")))
        if _ISO_INSTANT.fullmatch(value):
            return _iso(lambda: datetime.fromisoformat(value).date())
        raise Unreadable("must be an ISO date such as 2025-09-03")
    raise Unreadable(f"must be a date, not {_kind(value)}")


def decode_instant(ticks: int, per_second: int) -> datetime:
    """An epoch timestamp; SQL Server's DATETIME/DATETIME2 carry no zone, so Debezium writes their wall clock as UTC."""
    seconds, rest = divmod(ticks, per_second)
    try:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds, microseconds=rest * 10**6 // per_second)
    except OverflowError as exc:
        raise Unreadable(f"{ticks} is not a timestamp the calendar holds") from exc


def _days(days: int) -> date:
    try:
        return _EPOCH + timedelta(days=days)
    except OverflowError as exc:
        raise Unreadable(f"{days} days after 1970-01-01 is not a date the calendar holds") from exc


def _unit_by_size(ticks: int) -> int:
    size = abs(ticks)
    return 1_000 if size < 10**14 else 1_000_000 if size < 10**17 else 1_000_000_000


def _iso(read: Callable[[], date]) -> date:
    try:
        day = read()
    except ValueError as exc:
        raise Unreadable("is not a calendar date") from exc
    return day


def _kind(value: object) -> str:
    return {bool: "a boolean", dict: "an object", list: "a list"}.get(type(value), type(value).__name__)


def row_schemas(schema: object, image: str) -> dict[str, Mapping[str, Any]]:
    """The column schemas of `before` or `after` in a JSON-converter schema wrapper (empty when there is none)."""
    fields = schema.get("fields") if isinstance(schema, Mapping) else None
    for envelope_field in fields if isinstance(fields, list) else []:
        if isinstance(envelope_field, Mapping) and envelope_field.get("field") == image:
            columns = envelope_field.get("fields")
            named = [c for c in columns if isinstance(c, Mapping)] if isinstance(columns, list) else []
            return {c["field"]: c for c in named if isinstance(c.get("field"), str)}
    return {}
