"""Reading a delivered partner file back into rows of cell text: the inverse of formats.py, for reconciliation.

Every format reads back to one representation, `formats.cell_text` of each cell (money with 2 places, exact
decimals, ISO dates, None as ""), so the same facts give the same rows from a csv and a jsonl file (a
fixed-width file holds their ASCII transliteration), and the rows the journal's facts should give (written by
the real writer, then read back) compare with what a delivered file holds, cell by cell. A file that is not
what its format writes raises ValueError naming the line.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeAlias

from function_app.domain.delivery.fields import FIELDS, Field, FieldKind, unknown_fields
from function_app.domain.delivery.formats import add_cents, csv_cell
from function_app.domain.delivery.layout import fixed_layout

Row: TypeAlias = tuple[str, ...]

_NUMERIC = frozenset({FieldKind.MONEY, FieldKind.DECIMAL, FieldKind.INTEGER})


def parse_rows(format: str, data: bytes, fields: Sequence[str]) -> list[Row]:
    """The file's data records (no header, no trailer), each as its cells' text in the feed's field order."""
    reader = _reader(format)
    if unknown := unknown_fields(fields):
        raise ValueError(f"unknown partner-file fields: {', '.join(unknown)}")
    return reader(data.decode("utf-8"), tuple(FIELDS[name] for name in fields))


def file_totals(format: str, rows: Sequence[Row], fields: Sequence[str]) -> dict[str, str]:
    """The sum of each money column of parsed rows, as the writer totals them: every money field of the feed,
    2 places, blank cells counting nothing. Parsed rows read alike in every format; `format` is checked only."""
    _reader(format)
    money = [(index, name) for index, name in enumerate(fields) if FIELDS[name].kind is FieldKind.MONEY]
    totals = {name: Decimal("0.00") for _, name in money}
    for number, row in enumerate(rows, start=1):
        for index, name in money:
            if row[index]:
                totals[name] = add_cents(totals[name], _amount(row[index], number, name))
    return {name: f"{total:f}" for name, total in totals.items()}


def _amount(text: str, row: int, name: str) -> Decimal:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise ValueError(f"record {row}: {name} {text!r} is not an amount")
    return amount


def _reader(format: str) -> Callable[[str, tuple[Field, ...]], list[Row]]:
    if format not in _READERS:
        raise ValueError(f"unknown partner-file format {format!r}; expected one of {', '.join(_READERS)}")
    return _READERS[format]


def _csv_rows(text: str, fields: tuple[Field, ...]) -> list[Row]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    names = [field.name for field in fields]
    try:
        header = next(reader, None)
        if header != names:
            raise ValueError(f"line 1: the header lists {header}, the feed's fields are {names}")
        return [_csv_row(cells, fields, reader.line_num) for cells in reader]
    except csv.Error as error:
        raise ValueError(f"line {reader.line_num}: {error}") from None


def _csv_row(cells: list[str], fields: tuple[Field, ...], line: int) -> Row:
    if len(cells) != len(fields):
        raise ValueError(f"line {line}: {len(cells)} cells, the feed has {len(fields)} fields")
    return tuple(_csv_text(cell, field.kind) for cell, field in zip(cells, fields, strict=True))


def _csv_text(cell: str, kind: FieldKind) -> str:
    """Undoes the formula neutralising: a leading `'` the writer would have added to the rest of the cell.
    ("'=x" reads as "=x" whether the writer added the quote or the text began with it: both sides of a
    comparison are read by this function, so they still compare alike.)"""
    return cell[1:] if cell.startswith("'") and csv_cell(cell[1:], kind) == csv_cell(cell, kind) else cell


def _jsonl_rows(text: str, fields: tuple[Field, ...]) -> list[Row]:
    rows = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line:
            rows.append(_json_row(line, fields, number))
    return rows


def _json_row(line: str, fields: tuple[Field, ...], number: int) -> Row:
    try:
        document = json.loads(line, parse_int=str, parse_float=str)
    except ValueError as error:
        raise ValueError(f"line {number}: not JSON: {error}") from None
    if not isinstance(document, dict):
        raise ValueError(f"line {number}: not a JSON object")
    absent = [field.name for field in fields if field.name not in document]
    if absent:
        raise ValueError(f"line {number}: no {', '.join(absent)}")
    return tuple(_json_text(document[field.name]) for field in fields)


def _json_text(value: Any) -> str:
    """Numbers were kept as their text by the parser; null is the empty cell."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _fixed_rows(text: str, fields: tuple[Field, ...]) -> list[Row]:
    layout = fixed_layout(fields)
    length = layout.record_length
    lines = text.split("\n")
    if lines and not lines[-1]:
        lines.pop()
    rows = []
    for number, line in enumerate(lines, start=1):
        if len(line) != length:
            raise ValueError(f"line {number}: {len(line)} characters, the feed's lines have {length}")
        if line[0] == "D":
            rows.append(tuple(_fixed_text(line[c.start - 1 : c.end], c.type) for c in layout.detail.values))
        elif line[0] not in "HT":
            raise ValueError(f"line {number}: record type {line[0]!r}, expected H, D or T")
    return rows


def _fixed_text(text: str, kind: str) -> str:
    """Numbers are right-aligned and text left-aligned; dates YYYYMMDD read back as ISO, as the other formats."""
    if kind in _NUMERIC:
        return text.lstrip(" ")
    text = text.rstrip(" ")
    if kind == FieldKind.DATE and len(text) == 8 and text.isascii() and text.isdigit():
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()
        except ValueError:
            return text
    return text


_READERS: Mapping[str, Callable[[str, tuple[Field, ...]], list[Row]]] = {
    "csv": _csv_rows,
    "fixed": _fixed_rows,
    "jsonl": _jsonl_rows,
}
