"""The fixed-width layout of a feed: where each field of the H, D and T records lies, in bytes.

The one definition both the writer and the reader slice by, and what is published to the partner as
`outbound/<feed>/layout.json` (spec/PARTNER-FILES.md, "Fixed-width"). Every line is ASCII, `record_length`
bytes long plus `\\n`; each record is padded to that length with a trailing `filler` column.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from function_app.domain.delivery.ascii import to_ascii_within
from function_app.domain.delivery.fields import Field, FieldKind

LAYOUT_VERSION = 1
PARTNER_WIDTH = FEED_WIDTH = 40  # partner ids are at most 40 characters, feed names 30
SEQUENCE_WIDTH = 6  # files of one feed and business date; a micro-batch feed may cut well over 999 a day
# A block blob holds at most 50,000 blocks, and delivery stages blocks of 4 MiB: at most about 210 GB, so fewer
# than 2.2 * 10^9 lines of the shortest layout (the header's 95 bytes and "\n").
COUNT_WIDTH = 10
TOTAL_WIDTH = 19  # that many records of at most 100000.00: 15 digits, the point, 2 places and a sign
OVERFLOW = "*"  # fills a field whose value does not fit (none that spec/EVENTS.md accepts)
_NUMERIC = frozenset({FieldKind.MONEY, FieldKind.DECIMAL, FieldKind.INTEGER})


@dataclass(frozen=True)
class Column:
    name: str
    start: int  # 1-based byte offset in the line
    width: int  # bytes
    type: str  # a field kind ("text", "money", ...), or "record" (H, D, T), "counter" (zero-padded), "filler"
    alignment: str  # "left" or "right"
    padding: str  # the byte that fills the rest of the field

    @property
    def end(self) -> int:
        """The 1-based offset of the field's last byte; 0-based, where the next field begins."""
        return self.start + self.width - 1

    def fit(self, text: str) -> tuple[str, bool]:
        """The field's bytes for this value (ASCII, aligned and padded), and whether it overflowed."""
        ascii_text = to_ascii_within(text, self.width)
        if len(ascii_text) > self.width:
            return OVERFLOW * self.width, True
        if self.alignment == "right":
            return ascii_text.rjust(self.width, self.padding), False
        return ascii_text.ljust(self.width, self.padding), False

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "start": self.start, "width": self.width, "type": self.type,
            "alignment": self.alignment, "padding": self.padding,
        }


@dataclass(frozen=True)
class RecordLayout:
    record_type: str  # "H", "D" or "T": the line's first byte
    columns: tuple[Column, ...]  # `record` (H, D or T) first, then the values, then filler when shorter

    @property
    def values(self) -> tuple[Column, ...]:
        """The columns that carry a value: neither the record type nor the filler."""
        return tuple(c for c in self.columns if c.type not in ("record", "filler"))


@dataclass(frozen=True)
class FixedLayout:
    header: RecordLayout
    detail: RecordLayout
    trailer: RecordLayout
    record_length: int  # bytes of every line, without its "\n"

    def to_json(self, partner: str, feed: str) -> dict[str, Any]:
        return {
            "partner": partner,
            "feed": feed,
            "format": "fixed",
            "layout_version": LAYOUT_VERSION,
            "encoding": "ascii",
            "line_end": "\n",
            "record_length": self.record_length,
            "dates": "YYYYMMDD",
            "money": "decimal point, 2 places, leading '-' when negative",
            "overflow": f"a value that does not fit fills its field with {OVERFLOW!r}",
            "records": {r.record_type: [c.to_json() for c in r.columns] for r in self.records()},
        }

    def records(self) -> Iterator[RecordLayout]:
        yield from (self.header, self.detail, self.trailer)


_Spec = tuple[str, int, str, str, str]  # name, width, type, alignment, padding


def fixed_layout(fields: Sequence[Field]) -> FixedLayout:
    """The layout of a feed listing these fields, in this order."""
    header: list[_Spec] = [
        ("partner", PARTNER_WIDTH, FieldKind.CODE, "left", " "),
        ("feed", FEED_WIDTH, FieldKind.CODE, "left", " "),
        ("business_date", 8, FieldKind.DATE, "left", " "),
        ("sequence", SEQUENCE_WIDTH, "counter", "right", "0"),
    ]
    detail: list[_Spec] = [
        (f.name, f.width, f.kind, "right" if f.kind in _NUMERIC else "left", " ") for f in fields
    ]
    trailer: list[_Spec] = [("record_count", COUNT_WIDTH, "counter", "right", "0")] + [
        (f.name, TOTAL_WIDTH, FieldKind.MONEY, "right", " ") for f in fields if f.kind is FieldKind.MONEY
    ]
    length = max(1 + sum(spec[1] for spec in specs) for specs in (header, detail, trailer))
    return FixedLayout(
        _record("H", header, length), _record("D", detail, length), _record("T", trailer, length), length
    )


def _record(record_type: str, specs: Sequence[_Spec], length: int) -> RecordLayout:
    columns = [Column("record", 1, 1, "record", "left", " ")]
    start = 2
    for name, width, kind, alignment, padding in specs:
        columns.append(Column(name, start, width, str(kind), alignment, padding))
        start += width
    if start <= length:
        columns.append(Column("filler", start, length - start + 1, "filler", "left", " "))
    return RecordLayout(record_type, tuple(columns))


def layout_blob_name(feed: str) -> str:
    return f"outbound/{feed}/layout.json"


def layout_document(partner: str, feed: str, fields: Sequence[Field]) -> bytes:
    """The bytes of `outbound/<feed>/layout.json`: the same fields always give the same bytes. JSON, with one
    column a line so that people can read it too."""
    document = fixed_layout(fields).to_json(partner, feed)
    records = document.pop("records")
    kinds = [
        f'    "{kind}": [\n' + ",\n".join(f"      {json.dumps(column)}" for column in columns) + "\n    ]"
        for kind, columns in records.items()
    ]
    head = json.dumps(document, indent=2).removesuffix("\n}")
    return (head + ',\n  "records": {\n' + ",\n".join(kinds) + "\n  }\n}\n").encode("ascii")
