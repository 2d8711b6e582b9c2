"""Partner file formats (spec/PARTNER-FILES.md): streaming writers that turn records into deterministic bytes.

Every writer yields UTF-8 with `\\n` line ends, in chunks of about CHUNK_CHARS characters, so a file of any
size passes through in bounded memory. `record_count` and `control_totals` are complete once `rows` is
exhausted; the fixed-width trailer is built from them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from function_app.domain.money import CENT
from function_app.domain.partner_files.fields import FIELDS, Cell, Field, FieldKind, unknown_fields

Record = tuple[Cell, ...]
CHUNK_CHARS = 64 * 1024
EXTENSIONS: Mapping[str, str] = {"csv": "csv", "fixed": "txt", "jsonl": "jsonl"}


class FileWriter(Protocol):
    @property
    def record_count(self) -> int: ...

    @property
    def control_totals(self) -> dict[str, str]: ...

    def header(self) -> bytes: ...

    def rows(self, records: Iterable[Record]) -> Iterator[bytes]: ...

    def trailer(self) -> bytes: ...


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def cell_text(cell: Cell, kind: FieldKind) -> str:
    """The one text form of a cell: money with 2 places, exact decimals, ISO dates, None empty."""
    match cell:
        case None:
            return ""
        case Decimal() if kind is FieldKind.MONEY:
            return f"{cents(cell):f}"
        case Decimal():
            return f"{cell:f}"
        case date():
            return cell.isoformat()
        case _:
            return str(cell)


class _Writer:
    """Counting, control totals and chunking; a format supplies `_line` and, if it has them, header and trailer."""

    def __init__(self, partner: str, feed: str, business_date: date, sequence: int, fields: Sequence[str]) -> None:
        if unknown := unknown_fields(fields):
            raise ValueError(f"unknown partner-file fields: {', '.join(unknown)}")
        self.partner, self.feed, self.business_date, self.sequence = partner, feed, business_date, sequence
        self.fields: tuple[Field, ...] = tuple(FIELDS[name] for name in fields)
        self._money = [(i, f.name) for i, f in enumerate(self.fields) if f.kind is FieldKind.MONEY]
        self._totals = {name: Decimal("0.00") for _, name in self._money}
        self._count = 0

    @property
    def record_count(self) -> int:
        return self._count

    @property
    def control_totals(self) -> dict[str, str]:
        return {name: f"{total:f}" for name, total in self._totals.items()}

    def header(self) -> bytes:
        return b""

    def trailer(self) -> bytes:
        return b""

    def rows(self, records: Iterable[Record]) -> Iterator[bytes]:
        lines: list[str] = []
        size = 0
        for cells in records:
            self._count += 1
            self._add_to_totals(cells)
            lines.append(self._line(cells, self._count))
            size += len(lines[-1])
            if size >= CHUNK_CHARS:
                yield "".join(lines).encode("utf-8")
                lines, size = [], 0
        if lines:
            yield "".join(lines).encode("utf-8")

    def _add_to_totals(self, cells: Record) -> None:
        for index, name in self._money:
            amount = cells[index]
            if isinstance(amount, Decimal):
                self._totals[name] += cents(amount)

    def _line(self, cells: Record, row: int) -> str:
        raise NotImplementedError

    def _cells(self, cells: Record) -> Iterator[tuple[Field, Cell]]:
        return zip(self.fields, cells, strict=True)


_CSV_QUOTE = re.compile('[,"\r\n]')
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_TEXTUAL = frozenset({FieldKind.TEXT, FieldKind.CODE})


def csv_cell(cell: Cell, kind: FieldKind) -> str:
    """OWASP CSV-injection neutralising for text cells only (a money "-5.00" stays), then RFC 4180 quoting."""
    text = cell_text(cell, kind)
    if kind in _TEXTUAL and text.startswith(_FORMULA_START):
        text = "'" + text
    return '"' + text.replace('"', '""') + '"' if _CSV_QUOTE.search(text) else text


class CsvWriter(_Writer):
    def header(self) -> bytes:
        return (",".join(csv_cell(f.name, FieldKind.TEXT) for f in self.fields) + "\n").encode("utf-8")

    def _line(self, cells: Record, row: int) -> str:
        return ",".join(csv_cell(cell, field.kind) for field, cell in self._cells(cells)) + "\n"


_JSON_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


class JsonLinesWriter(_Writer):
    def _line(self, cells: Record, row: int) -> str:
        document = {field.name: _json_cell(cell, field.kind) for field, cell in self._cells(cells)}
        # escaped so that readers splitting on every Unicode line break (str.splitlines) still see one record a line
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).translate(_JSON_LINE_BREAKS) + "\n"


def _json_cell(cell: Cell, kind: FieldKind) -> str | int | None:
    return cell if cell is None or (isinstance(cell, int) and kind is FieldKind.INTEGER) else cell_text(cell, kind)


class FieldOverflowError(ValueError):
    """A value longer than its fixed-width field: the message names the record and the field, never the value."""


class FieldContentError(ValueError):
    """A value holding a line break, which no fixed-width line can carry."""


PARTNER_WIDTH = FEED_WIDTH = 40
SEQUENCE_WIDTH = 3
COUNT_WIDTH = 9
TOTAL_WIDTH = 15
HEADER_LENGTH = 1 + PARTNER_WIDTH + FEED_WIDTH + 8 + SEQUENCE_WIDTH
_NUMERIC = frozenset({FieldKind.MONEY, FieldKind.DECIMAL, FieldKind.INTEGER})
_IDENTITY = ("journal_position", "contract_number")
_LINE_BREAK = re.compile("[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")  # what str.splitlines splits on


class FixedWidthWriter(_Writer):
    """`H` header, one `D` record per fact, `T` trailer, every line padded to the longest of the three layouts.

    Text is left-aligned and numbers right-aligned, both padded with spaces (a negative amount keeps its sign
    and every number reads as in the csv); dates are YYYYMMDD; the header's sequence and the trailer's record
    count are zero-padded counters. Widths count code points: a multi-byte UTF-8 character counts once.
    """

    def __init__(self, partner: str, feed: str, business_date: date, sequence: int, fields: Sequence[str]) -> None:
        super().__init__(partner, feed, business_date, sequence, fields)
        detail = 1 + sum(field.width for field in self.fields)
        trailer = 1 + COUNT_WIDTH + TOTAL_WIDTH * len(self._money)
        self.line_length = max(detail, HEADER_LENGTH, trailer)
        self._identity = [(i, f.name) for i, f in enumerate(self.fields) if f.name in _IDENTITY]

    def header(self) -> bytes:
        def where() -> str:
            return "header record"

        parts = [
            _fit(self.partner, PARTNER_WIDTH, False, "partner", where),
            _fit(self.feed, FEED_WIDTH, False, "feed", where),
            self.business_date.strftime("%Y%m%d"),
            _fit(f"{self.sequence:0{SEQUENCE_WIDTH}d}", SEQUENCE_WIDTH, False, "sequence", where),
        ]
        return self._padded("H" + "".join(parts)).encode("utf-8")

    def trailer(self) -> bytes:
        def where() -> str:
            return f"trailer record after {self.record_count} records"

        count = _fit(f"{self.record_count:0{COUNT_WIDTH}d}", COUNT_WIDTH, False, "record_count", where)
        totals = [_fit(total, TOTAL_WIDTH, True, name, where) for name, total in self.control_totals.items()]
        return self._padded("T" + count + "".join(totals)).encode("utf-8")

    def _line(self, cells: Record, row: int) -> str:
        def where() -> str:
            named = ", ".join(f"{name} {cells[i]}" for i, name in self._identity)
            return f"record {row}" + (f" ({named})" if named else "")

        texts = (
            _fit(_fixed_text(cell, field.kind), field.width, field.kind in _NUMERIC, field.name, where)
            for field, cell in self._cells(cells)
        )
        return self._padded("D" + "".join(texts))

    def _padded(self, text: str) -> str:
        return text.ljust(self.line_length) + "\n"


def _fixed_text(cell: Cell, kind: FieldKind) -> str:
    return cell.strftime("%Y%m%d") if isinstance(cell, date) else cell_text(cell, kind)


def _fit(text: str, width: int, right: bool, field: str, where: Callable[[], str]) -> str:
    if len(text) > width:
        raise FieldOverflowError(f"{where()}: field {field!r} has {len(text)} characters, its width is {width}")
    if _LINE_BREAK.search(text):
        raise FieldContentError(f"{where()}: field {field!r} holds a line break, which a fixed-width line cannot")
    return text.rjust(width) if right else text.ljust(width)


_WRITERS: Mapping[str, type[_Writer]] = {"csv": CsvWriter, "fixed": FixedWidthWriter, "jsonl": JsonLinesWriter}


def writer_for(
    format: str, partner: str, feed: str, business_date: date, sequence: int, fields: Sequence[str]
) -> FileWriter:
    if format not in _WRITERS:
        raise ValueError(f"unknown partner-file format {format!r}; expected one of {', '.join(_WRITERS)}")
    return _WRITERS[format](partner, feed, business_date, sequence, fields)
