"""A csv feed's lines straight from facts: a fact's record (records.py) and its csv text (formats.py) in one step
per column, each column's kind, PII mask and data path decided once per feed rather than once per cell, and the
whole line one function generated for the feed (no call per cell). The bytes are exactly those of `CsvWriter.rows`
over `record_maker`'s records (tests/unit/partner_files/test_csv_lines.py); a daily file of a million facts spends
much of its Python time here."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from function_app.domain.delivery.fields import FIELDS, Cell, Field, FieldKind, PersonalData
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

Column = Callable[[JournalFact], str]
T = TypeVar("T")
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


def line_maker(fields: Sequence[str], pii: PiiLevel) -> Callable[[JournalFact], Line]:
    """A fact's csv line and the cents-rounded amounts of its money fields (None where a fact has none): one
    function per feed, its source generated from the feed's columns (`_Source`), so that a cell costs no call."""
    record_maker(fields, pii)  # the PII rules, checked as the record path checks them
    source = _Source()
    for name in fields:
        source.column(FIELDS[name], pii)
    return source.compiled()


class _Source:
    """A feed's line function as Python source. Only names this class makes (`n1`, `c4`, `k2`, ...) and its own
    fixed text go into the source; every key, memo and function a column needs is passed in as a constant, so
    nothing from the configuration or a fact is ever code. Each object of a fact's data that the feed's paths pass
    through ("contract", "contract.vehicle", ...) is read once per fact, as `fields.json_value` walks them: one
    that is absent or not an object stands as an empty dict, from which every key reads None."""

    def __init__(self) -> None:
        self.constants: dict[str, Any] = {"E": _EMPTY, "dict": dict, "isinstance": isinstance, "str": str,
                                          "date": date, "Decimal": Decimal, "cents": cents}
        self.nodes: dict[tuple[str, ...], str] = {(): "n0"}
        self.walk = ["    n0 = fact.data", "    if not isinstance(n0, dict): n0 = E"]
        self.body: list[str] = []
        self.cells: list[str] = []
        self.amounts: list[str] = []

    def constant(self, prefix: str, value: Any) -> str:
        name = f"{prefix}{len(self.constants)}"
        self.constants[name] = value
        return name

    def node(self, path: tuple[str, ...]) -> str:
        if path not in self.nodes:
            parent, key = self.node(path[:-1]), self.constant("k", path[-1])
            name = self.nodes[path] = f"n{len(self.nodes)}"
            self.walk += [f"    {name} = {parent}.get({key})", f"    if not isinstance({name}, dict): {name} = E"]
        return self.nodes[path]

    def column(self, field: Field, pii: PiiLevel) -> None:
        cell = f"c{len(self.cells)}"
        self.cells.append(cell)
        mask, kind, extract = mask_for(field, pii), field.kind, field.extract
        if kind is FieldKind.MONEY:
            self._money(field, mask, cell)
        elif mask is not None and (field.path is None or kind not in TEXTUAL):
            self.body.append(f"    {cell} = {self.constant('f', _masked_cell(mask, extract, kind))}(fact)")
        elif field.path is None:  # a fact attribute: its cell as csv_cell writes it
            self.body.append(f"    v = {self.constant('x', extract)}(fact)")
            # str and date cells are remembered: their equal values always write the same text (unlike 1, 1.0, True)
            self._cell(cell, field, "if", partial(csv_cell, kind=kind), "v.__class__ is str or v.__class__ is date")
        else:
            self.body += [f"    v = {self._value(field.path)}", f"    if v is None: {cell} = ''"]
            text_of = _TEXTS[kind] if mask is None else _masked_text(mask)
            self._cell(cell, field, "elif", text_of, "v.__class__ is str", plain=mask is None)

    def _value(self, path: tuple[str, ...]) -> str:
        return f"{self.node(path[:-1])}.get({self.constant('k', path[-1])})"

    def _cell(
        self, cell: str, field: Field, keyword: str, text_of: Callable[[Any], str], remembered: str, plain: bool = True
    ) -> None:
        """The cell of the value `v` as `text_of` writes it: a plain text as is, an int's text its str, the values
        that pass `remembered` remembered (but a VIN, all but unique to its contract, never)."""
        branches: list[str] = []
        if plain and field.kind in TEXTUAL:  # a text as is, unless csv_cell would guard or quote it
            guard, quote = self.constant("s", FORMULA_START), self.constant("q", CSV_QUOTE.search)
            branches.append(f"v.__class__ is str and not v.startswith({guard}) and {quote}(v) is None: {cell} = v")
        if field.kind is FieldKind.INTEGER:  # as str(int(v)) and cell_text write an int
            branches.append(f"v.__class__ is int: {cell} = str(v)")
        text = self.constant("t", text_of)
        if field.personal is not PersonalData.VIN:
            memo: dict[Any, str] = {}
            lookup, remember = self.constant("g", memo.get), self.constant("r", _remembering(memo, text_of))
            branches.append(f"{remembered}:\n        {cell} = {lookup}(v)\n"
                            f"        if {cell} is None: {cell} = {remember}(v)")
        for branch in branches:
            self.body.append(f"    {keyword} {branch}")
            keyword = "elif"
        self.body.append(f"    else: {cell} = {text}(v)" if keyword == "elif" else f"    {cell} = {text}(v)")

    def _money(self, field: Field, mask: Callable[[str], str] | None, cell: str) -> None:
        amount = f"a{len(self.amounts)}"
        self.amounts.append(amount)
        if field.path is None or mask is not None:
            self.body.append(f"    {cell}, {amount} = {self.constant('f', _money_cell(mask, field.extract))}(fact)")
            return
        cents_text = self.constant("p", _CENTS_TEXT.fullmatch)  # already its cents' text: the amount is exact
        self.body += [f"    v = {self._value(field.path)}", f"    if v is None: {cell} = ''; {amount} = None",
                      f"    elif v.__class__ is str and {cents_text}(v) is not None: {cell} = v; {amount} = Decimal(v)",
                      f"    else: {cell}, {amount} = {self.constant('f', _money_text)}(v)"]

    def compiled(self) -> Callable[[JournalFact], Line]:
        line = ",".join(f"{{{cell}}}" for cell in self.cells)
        source = "\n".join(["def make(fact):", *self.walk, *self.body,
                            f"    return f'{line}\\n', [{', '.join(self.amounts)}]"])
        namespace = dict(self.constants)
        exec(compile(source, "<csv line>", "exec"), namespace)  # the source: see the class's docstring
        make: Callable[[JournalFact], Line] = namespace["make"]
        return make


_EMPTY: dict[str, Any] = {}  # never written
_CENTS_TEXT = re.compile("-?(?:0|[1-9][0-9]*)[.][0-9]{2}")  # `cents` leaves it as it is, `f"{amount:f}"` writes it


def _remembering(memo: dict[Any, T], text_of: Callable[[Any], T]) -> Callable[[Any], T]:
    def remember(value: Any) -> T:
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        text = memo[value] = text_of(value)
        return text

    return remember


def _money_text(value: Any) -> tuple[str, Decimal]:
    amount = cents(Decimal(str(value)))
    return f"{amount:f}", amount


def _masked_cell(mask: Callable[[str], str], extract: Callable[[JournalFact], Cell], kind: FieldKind) -> Column:
    return lambda fact: csv_cell(masked(mask, extract(fact)), kind)


def _money_cell(
    mask: Callable[[str], str] | None, extract: Callable[[JournalFact], Cell]
) -> Callable[[JournalFact], tuple[str, Decimal | None]]:
    def money(fact: JournalFact) -> tuple[str, Decimal | None]:
        cell = masked(mask, extract(fact))
        if isinstance(cell, Decimal):
            amount = cents(cell)
            return f"{amount:f}", amount
        return csv_cell(cell, FieldKind.MONEY), None

    return money


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
