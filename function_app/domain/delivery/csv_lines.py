"""A csv feed's lines straight from facts: a fact's record (records.py) and its csv text (formats.py) in one step
per column, each column's kind, PII mask and data path decided once per feed rather than once per cell. The bytes
are exactly those of `CsvWriter.rows` over `record_maker`'s records (tests/unit/partner_files/test_csv_lines.py);
a daily file of a million facts spends most of its Python time here."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from function_app.domain.delivery.fields import FIELDS, Field, FieldKind
from function_app.domain.delivery.formats import (
    CSV_QUOTE,
    FORMULA_START,
    TEXTUAL,
    CsvWriter,
    FileWriter,
    Line,
    cents,
    csv_cell,
)
from function_app.domain.delivery.records import PiiLevel, mask_for, masked, record_maker
from function_app.domain.kernel.journal import JournalFact

Column = Callable[[JournalFact, list[Any]], str]  # a fact and the objects of its data the feed's paths pass
MEMO_SIZE = 4096  # distinct values a column remembers the text of (codes, dates, makes repeat across a file)


def fact_rows(
    writer: FileWriter, facts: Iterable[JournalFact], fields: Sequence[str], pii: PiiLevel
) -> Iterator[bytes]:
    """The writer's rows for the facts: a csv writer's through `line_maker`, any other through its records."""
    if isinstance(writer, CsvWriter):
        make_line = line_maker(fields, pii)
        return writer.lines(make_line(fact) for fact in facts)
    make = record_maker(fields, pii)
    return writer.rows(make(fact) for fact in facts)


class _Amount:
    """The amount a money column last read, cents-rounded, for the writer's control totals."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value: Decimal | None = None


def line_maker(fields: Sequence[str], pii: PiiLevel) -> Callable[[JournalFact], Line]:
    """A fact's csv line and the cents-rounded amounts of its money fields (None where a fact has none)."""
    record_maker(fields, pii)  # the PII rules, checked as the record path checks them
    steps = _Steps()
    columns: list[Column] = []
    amounts: list[_Amount] = []
    for name in fields:
        field = FIELDS[name]
        if field.kind is FieldKind.MONEY:
            amount = _Amount()
            amounts.append(amount)
            columns.append(_money_column(field, pii, amount, steps))
        else:
            columns.append(_column(field, pii, steps))
    walk = steps.walk

    def make(fact: JournalFact) -> Line:
        nodes = walk(fact)
        return ",".join([column(fact, nodes) for column in columns]) + "\n", [amount.value for amount in amounts]

    return make


def _money_column(field: Field, pii: PiiLevel, amount: _Amount, steps: _Steps) -> Column:
    extract, mask, kind = field.extract, mask_for(field, pii), field.kind
    if field.path is None or mask is not None:

        def column(fact: JournalFact, nodes: list[Any]) -> str:
            cell = masked(mask, extract(fact))
            if isinstance(cell, Decimal):
                amount.value = cents(cell)
                return f"{amount.value:f}"
            amount.value = None
            return csv_cell(cell, kind)

        return column
    parent, key = steps.node(field.path[:-1]), field.path[-1]

    def data_column(fact: JournalFact, nodes: list[Any]) -> str:
        node = nodes[parent]
        value = node.get(key) if isinstance(node, dict) else None
        if value is None:
            amount.value = None
            return ""
        amount.value = cents(Decimal(str(value)))
        return f"{amount.value:f}"

    return data_column


def _column(field: Field, pii: PiiLevel, steps: _Steps) -> Column:
    mask, kind, extract = mask_for(field, pii), field.kind, field.extract
    if mask is not None and (field.path is None or kind not in TEXTUAL):
        return lambda fact, nodes: csv_cell(masked(mask, extract(fact)), kind)
    memo: dict[Any, str] = {}
    if field.path is None:  # a fact attribute: its cell as csv_cell writes it

        def fact_column(fact: JournalFact, nodes: list[Any]) -> str:
            cell = extract(fact)
            if type(cell) not in _REMEMBERED:
                return csv_cell(cell, kind)
            text = memo.get(cell)
            if text is None:
                if len(memo) >= MEMO_SIZE:
                    memo.clear()
                text = memo[cell] = csv_cell(cell, kind)
            return text

        return fact_column
    parent, key = steps.node(field.path[:-1]), field.path[-1]
    text_of = _TEXTS[kind] if mask is None else _masked_text(mask)

    def data_column(fact: JournalFact, nodes: list[Any]) -> str:
        node = nodes[parent]
        value = node.get(key) if isinstance(node, dict) else None
        if value is None:
            return ""
        if type(value) is not str:
            return text_of(value)
        text = memo.get(value)
        if text is None:
            if len(memo) >= MEMO_SIZE:
                memo.clear()
            text = memo[value] = text_of(value)
        return text

    return data_column


_REMEMBERED = (str, date)  # cells whose equal values always write the same text (unlike 1, 1.0 and True)


class _Steps:
    """The objects of a fact's data that the feed's paths pass through ("contract", "contract.vehicle", ...), each
    read once per fact: index 0 is the data itself, then one per step, as `fields.json_value` walks them (None when
    absent or not an object)."""

    def __init__(self) -> None:
        self._index: dict[tuple[str, ...], int] = {(): 0}
        self._steps: list[tuple[int, str]] = []

    def node(self, path: tuple[str, ...]) -> int:
        if path not in self._index:
            parent = self.node(path[:-1])
            self._steps.append((parent, path[-1]))
            self._index[path] = len(self._steps)
        return self._index[path]

    def walk(self, fact: JournalFact) -> list[Any]:
        nodes: list[Any] = [fact.data]
        for parent, key in self._steps:
            node = nodes[parent]
            nodes.append(node.get(key) if isinstance(node, dict) else None)
        return nodes


def _text(value: Any) -> str:
    """A text or code cell as csv_cell writes it: the formula guard, then RFC 4180 quoting."""
    text = str(value)
    if text.startswith(FORMULA_START):
        text = "'" + text
    return '"' + text.replace('"', '""') + '"' if CSV_QUOTE.search(text) else text


def _masked_text(mask: Callable[[str], str]) -> Callable[[Any], str]:
    return lambda value: _text(mask(str(value)))


# Each kind as `_FROM_JSON` converts a data value and `cell_text` writes the cell; no number or ISO date holds a
# character csv quotes.
_TEXTS: dict[FieldKind, Callable[[Any], str]] = {
    FieldKind.TEXT: _text,
    FieldKind.CODE: _text,
    FieldKind.INTEGER: lambda value: str(int(value)),
    FieldKind.DECIMAL: lambda value: f"{Decimal(str(value)):f}",
    FieldKind.DATE: lambda value: date.fromisoformat(str(value)).isoformat(),
}
