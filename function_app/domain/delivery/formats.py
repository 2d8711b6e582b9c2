"""Partner file formats (spec/PARTNER-FILES.md): streaming writers that turn records into deterministic bytes.

Every writer yields UTF-8 (fixed width: ASCII) with `\\n` line ends, in chunks of about CHUNK_CHARS
characters, so a file of any size passes through in bounded memory. `record_count` and `control_totals` are
complete once `rows` is exhausted; the fixed-width trailer is built from them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Protocol

from function_app.domain.delivery.fields import FIELDS, Cell, Field, FieldKind, unknown_fields
from function_app.domain.delivery.layout import RecordLayout, fixed_layout
from function_app.domain.kernel.money import CENT

Record = tuple[Cell, ...]
Line = tuple[str, list[Decimal | None]]  # a record's text and its money fields' amounts, already rounded to the cent
CHUNK_CHARS = 64 * 1024
MAX_OVERFLOW_NOTES = 100  # enough to find the records; a file of millions keeps bounded memory
_TOTALS = Context(prec=1000, rounding=ROUND_HALF_UP)  # exact sums of any amount EVENTS.md or DECIMAL(38,2) allows
_ANY_SIZE = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, rounding=ROUND_HALF_UP)
EXTENSIONS: Mapping[str, str] = {"csv": "csv", "fixed": "txt", "jsonl": "jsonl"}


class FileWriter(Protocol):
    @property
    def record_count(self) -> int: ...

    @property
    def control_totals(self) -> dict[str, str]: ...

    def header(self) -> bytes: ...

    def rows(self, records: Iterable[Record]) -> Iterator[bytes]: ...

    def trailer(self) -> bytes: ...

    @property
    def overflows(self) -> tuple[int, list[str]]:
        """How many values did not fit their fixed-width field, and where the first of them are."""
        ...


def cents(amount: Decimal) -> Decimal:
    """Half-up to the cent, exactly at any size (Decimal's default 28 digits would round a 30-digit amount)."""
    try:
        return amount.quantize(CENT, context=_TOTALS)
    except InvalidOperation:  # a thousand digits or more, which no value EVENTS.md accepts comes near
        return amount.quantize(CENT, context=_ANY_SIZE) if amount.is_finite() else amount


def add_cents(total: Decimal, amount: Decimal) -> Decimal:
    return _TOTALS.add(total, cents(amount))


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
        self._overflow_count = 0
        self._overflow_notes: list[str] = []

    @property
    def overflows(self) -> tuple[int, list[str]]:
        return self._overflow_count, list(self._overflow_notes)

    def _overflowed(self, note: str) -> None:
        self._overflow_count += 1
        if len(self._overflow_notes) < MAX_OVERFLOW_NOTES:
            self._overflow_notes.append(note)

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
                yield _utf8("".join(lines))
                lines, size = [], 0
        if lines:
            yield _utf8("".join(lines))

    def lines(self, lines: Iterable[Line]) -> Iterator[bytes]:
        """`rows` for records already written as text (csv_lines.py): counted, totalled and chunked the same way."""
        money = [name for _, name in self._money]
        chunk: list[str] = []
        size = 0
        for text, amounts in lines:
            self._count += 1
            for name, amount in zip(money, amounts, strict=True):
                if amount is not None:
                    self._totals[name] = _TOTALS.add(self._totals[name], amount)
            chunk.append(text)
            size += len(text)
            if size >= CHUNK_CHARS:
                yield _utf8("".join(chunk))
                chunk, size = [], 0
        if chunk:
            yield _utf8("".join(chunk))

    def _add_to_totals(self, cells: Record) -> None:
        for index, name in self._money:
            amount = cells[index]
            if isinstance(amount, Decimal):
                self._totals[name] = add_cents(self._totals[name], amount)

    def _line(self, cells: Record, row: int) -> str:
        raise NotImplementedError

    def _cells(self, cells: Record) -> Iterator[tuple[Field, Cell]]:
        return zip(self.fields, cells, strict=True)


def _utf8(text: str) -> bytes:
    """A lone surrogate (JSON can escape one: "\\ud800") has no UTF-8 form: it is written as `?`."""
    return text.encode("utf-8", errors="replace")


CSV_QUOTE = re.compile('[,"\r\n]')
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TEXTUAL = frozenset({FieldKind.TEXT, FieldKind.CODE})


def csv_cell(cell: Cell, kind: FieldKind) -> str:
    """OWASP CSV-injection neutralising for text cells only (a money "-5.00" stays), then RFC 4180 quoting."""
    text = cell_text(cell, kind)
    if kind in TEXTUAL and text.startswith(FORMULA_START):
        text = "'" + text
    return '"' + text.replace('"', '""') + '"' if CSV_QUOTE.search(text) else text


class CsvWriter(_Writer):
    def header(self) -> bytes:
        return (",".join(csv_cell(f.name, FieldKind.TEXT) for f in self.fields) + "\n").encode("utf-8")

    def _line(self, cells: Record, row: int) -> str:
        return ",".join(csv_cell(cell, field.kind) for field, cell in self._cells(cells)) + "\n"


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # escaped as JSON reads it in, so it survives as it came
_JSON_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


class JsonLinesWriter(_Writer):
    def _line(self, cells: Record, row: int) -> str:
        document = {field.name: _json_cell(cell, field.kind) for field, cell in self._cells(cells)}
        # escaped so that readers splitting on every Unicode line break (str.splitlines) still see one record a line
        line = json.dumps(document, ensure_ascii=False, separators=(",", ":")).translate(_JSON_LINE_BREAKS)
        return _LONE_SURROGATE.sub(lambda found: f"\\u{ord(found[0]):04x}", line) + "\n"


def _json_cell(cell: Cell, kind: FieldKind) -> str | int | None:
    return cell if cell is None or (isinstance(cell, int) and kind is FieldKind.INTEGER) else cell_text(cell, kind)


class FixedWidthWriter(_Writer):
    """`H` header, one `D` record per fact, `T` trailer, each laid out by the feed's `FixedLayout`: ASCII, every
    line `record_length` bytes. Text is left-aligned and numbers right-aligned, both padded with spaces (a
    negative amount keeps its sign and every number reads as in the csv); dates are YYYYMMDD; the header's
    sequence and the trailer's record count are zero-padded counters.

    A value that does not fit its field (none that spec/EVENTS.md accepts does) never stops the file: the field
    is filled with `*` and `overflows` says which record and field, never the value.
    """

    def __init__(self, partner: str, feed: str, business_date: date, sequence: int, fields: Sequence[str]) -> None:
        super().__init__(partner, feed, business_date, sequence, fields)
        self.layout = fixed_layout(self.fields)
        self.line_length = self.layout.record_length
        self._identity = [(i, f.name) for i, f in enumerate(self.fields) if f.name in _IDENTITY]

    def header(self) -> bytes:
        values = [self.partner, self.feed, _fixed_text(self.business_date, FieldKind.DATE), str(self.sequence)]
        return self._render(self.layout.header, values, lambda: "header record").encode("ascii")

    def trailer(self) -> bytes:
        values = [str(self.record_count), *self.control_totals.values()]
        where = f"trailer record after {self.record_count} records"
        return self._render(self.layout.trailer, values, lambda: where).encode("ascii")

    def _line(self, cells: Record, row: int) -> str:
        def where() -> str:
            named = ", ".join(f"{name} {cells[i]}" for i, name in self._identity)
            return f"record {row}" + (f" ({named})" if named else "")

        texts = [_fixed_text(cell, field.kind) for field, cell in self._cells(cells)]
        return self._render(self.layout.detail, texts, where)

    def _render(self, record: RecordLayout, values: Sequence[str], where: Callable[[], str]) -> str:
        parts = [record.record_type]
        for column, value in zip(record.values, values, strict=True):
            text, overflowed = column.fit(value)
            if overflowed:
                self._overflowed(f"{where()}: field {column.name!r} does not fit its {column.width} bytes")
            parts.append(text)
        return "".join(parts).ljust(self.line_length) + "\n"


_IDENTITY = ("journal_position", "contract_number")


def _fixed_text(cell: Cell, kind: FieldKind) -> str:
    if isinstance(cell, date):
        return f"{cell.year:04d}{cell.month:02d}{cell.day:02d}"
    return cell_text(cell, kind)


_WRITERS: Mapping[str, type[_Writer]] = {"csv": CsvWriter, "fixed": FixedWidthWriter, "jsonl": JsonLinesWriter}


def writer_for(
    format: str, partner: str, feed: str, business_date: date, sequence: int, fields: Sequence[str]
) -> FileWriter:
    if format not in _WRITERS:
        raise ValueError(f"unknown partner-file format {format!r}; expected one of {', '.join(_WRITERS)}")
    return _WRITERS[format](partner, feed, business_date, sequence, fields)


def file_bytes(writer: FileWriter, records: Iterable[Record]) -> Iterator[bytes]:
    """A whole file as chunks: the header, the rows, then the trailer (which may carry the count and totals)."""
    yield writer.header()
    yield from writer.rows(records)
    yield writer.trailer()
