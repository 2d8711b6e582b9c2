"""One data row of a claims file, checked column by column: a typed `ClaimRow`, or a `RowProblem` holding every
problem of the row. Amounts have 2 places and at most MAX_AMOUNT_DIGITS before the point."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from hashlib import sha256
from json.encoder import encode_basestring
from typing import Any

from function_app.domain.claims.reasons import MAX_ECHO_CHARS, ClaimReason, Reason, schema_invalid
from function_app.domain.kernel.money import money_str, parse_money

MAX_AMOUNT_DIGITS = 15  # before the point: sums stay exact far below Decimal's 28 digits
COLUMNS = (
    "claim_number",
    "contract_number",
    "repair_order",
    "failure_date",
    "odometer",
    "labor_amount",
    "parts_amount",
    "tax_amount",
    "total_amount",
    "repair_facility_code",
    "cause",
)
AMOUNTS = ("labor_amount", "parts_amount", "tax_amount", "total_amount")
MAX_REPAIR_ORDER = 40
MAX_CAUSE = 200
MAX_ODOMETER = 9_999_999

_NUMBER = re.compile(r"[A-Z0-9-]{6,20}")
_FACILITY = re.compile(r"[A-Z0-9-]{1,20}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DIGITS = re.compile(r"[0-9]{1,7}")


@dataclass(frozen=True)
class ClaimRow:
    row: int
    claim_number: str
    contract_number: str
    repair_order: str
    failure_date: date
    odometer: int
    labor_amount: Decimal
    parts_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal
    repair_facility_code: str
    cause: str

    def to_json(self) -> dict[str, Any]:
        """The claim's content (not its row): what the hash covers and what a journal fact can carry."""
        return {
            "claim_number": self.claim_number,
            "contract_number": self.contract_number,
            "repair_order": self.repair_order,
            "failure_date": self.failure_date.isoformat(),
            "odometer": self.odometer,
            "labor_amount": _money(self.labor_amount),
            "parts_amount": _money(self.parts_amount),
            "tax_amount": _money(self.tax_amount),
            "total_amount": _money(self.total_amount),
            "repair_facility_code": self.repair_facility_code,
            "cause": self.cause,
        }


_new = object.__new__
_CANONICAL = "_canonical"  # not a field: the row's `canonical_json` as `fast_row` made it, where it did


def _money(amount: Decimal) -> str:
    """money_str without its exact rounding when there is nothing to round (a parsed amount: 2 places, no sign).
    str() shows every digit the Decimal holds, as format "f" does, unless it picks scientific notation (then there
    is an "E", and money_str decides)."""
    text = str(amount)
    return text if text[-3:-2] == "." and text[0] != "-" and "E" not in text else money_str(amount)


@dataclass(frozen=True)
class RowProblem:
    """A data row that is not a claim. `claim_number` is its first cell as given (at most MAX_ECHO_CHARS), if
    the line could be split into cells and that cell is not empty."""

    row: int
    claim_number: str | None
    reasons: tuple[Reason, ...]


def content_hash(row: ClaimRow) -> str:
    """sha256 of the claim's canonical JSON: the same claim hashes alike in any file, at any row."""
    return sha256(canonical_json(row).encode("utf-8")).hexdigest()


def canonical_json(row: ClaimRow) -> str:
    """`json.dumps(row.to_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)`, written out key by
    key (the keys in sorted order, each string encoded by json's own encoder): a third of the cost; `fast_row`
    writes it from the line's own text."""
    made: str | None = row.__dict__.get(_CANONICAL)
    if made is not None:
        return made
    claim, s = row.to_json(), encode_basestring
    return (f'{{"cause":{s(claim["cause"])},"claim_number":{s(claim["claim_number"])},'
            f'"contract_number":{s(claim["contract_number"])},"failure_date":{s(claim["failure_date"])},'
            f'"labor_amount":{s(claim["labor_amount"])},"odometer":{int(claim["odometer"])!s},'
            f'"parts_amount":{s(claim["parts_amount"])},"repair_facility_code":{s(claim["repair_facility_code"])},'
            f'"repair_order":{s(claim["repair_order"])},"tax_amount":{s(claim["tax_amount"])},'
            f'"total_amount":{s(claim["total_amount"])}}}')


def total_cents(cells: Sequence[str]) -> int:
    """A row's share of the file's total_amount: its total when the row has the header's cells and the total
    obeys the amount rule, whatever else is wrong with the row; else 0."""
    if len(cells) != len(COLUMNS):
        return 0
    text = cells[_TOTAL]
    return int(text.replace(".", "")) if AMOUNT_TEXT.fullmatch(text) else 0  # what `_amount` takes, without a Decimal


def _amount(text: str) -> tuple[Decimal | None, str]:
    if len(text.partition(".")[0]) > MAX_AMOUNT_DIGITS:
        return None, f"at most {MAX_AMOUNT_DIGITS} digits before the decimal point"
    amount = parse_money(text)
    return (amount, "") if amount is not None else (None, 'expected a decimal string with 2 places, e.g. "125.00"')


class _Cells:
    """One row's cells by column name, collecting every problem found."""

    def __init__(self, cells: Sequence[str]) -> None:
        self._cells = dict(zip(COLUMNS, cells, strict=True))
        self.reasons: list[Reason] = []

    def _fail(self, field: str, message: str) -> None:
        self.reasons.append(schema_invalid(field, f"{field}: {message}"))

    def matching(self, field: str, pattern: re.Pattern[str], rule: str) -> str:
        text = self._cells[field]
        if not pattern.fullmatch(text):
            self._fail(field, f"expected {rule}")
        return text

    def text(self, field: str, longest: int, required: bool) -> str:
        text = self._cells[field]
        if required and not text.strip():
            self._fail(field, "must not be empty")
        elif len(text) > longest:
            self._fail(field, f"at most {longest} characters, got {len(text)}")
        return text

    def iso_date(self, field: str) -> date | None:
        day = _iso_date(self._cells[field])
        if day is None:
            self._fail(field, "expected a calendar date YYYY-MM-DD")
        return day

    def odometer(self, field: str) -> int | None:
        text = self._cells[field]
        if not _DIGITS.fullmatch(text):
            self._fail(field, f"expected a whole number of miles 0 to {MAX_ODOMETER:,}")
            return None
        return int(text)

    def amount(self, field: str) -> Decimal | None:
        amount, problem = _amount(self._cells[field])
        if amount is None:
            self._fail(field, problem)
        return amount


def _iso_date(text: str) -> date | None:
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


_AMOUNT = rf"([0-9]{{1,{MAX_AMOUNT_DIGITS}}}\.[0-9]{{2}})"
_PLAIN_CELL = r'([^,"\x00]*)'
_TEXT_CELL = r'(?:"([^"\x00]*(?:""[^"\x00]*)*)"|([^,"\x00]*))'  # quoted (doubled quotes inside) or plain
# A whole line that obeys every pattern rule, its free-text cells quoted or not: what almost every line of a real
# file is. Its cells are exactly those `split_cells` finds. Anything it does not match (a bad cell, a quoted code or
# amount, a cell too many or too few) goes the long way, cell by cell, which says why.
AMOUNT_TEXT = re.compile(_AMOUNT)  # the amount rule: `_amount` takes exactly the texts this matches
_TOTAL = COLUMNS.index("total_amount")
GOOD_LINE = re.compile(",".join((
    r"([A-Z0-9-]{6,20})", r"([A-Z0-9-]{6,20})", _TEXT_CELL, r"([0-9]{4}-[0-9]{2}-[0-9]{2})", r"([0-9]{1,7})",
    _AMOUNT, _AMOUNT, _AMOUNT, _AMOUNT, r"([A-Z0-9-]{1,20})", _TEXT_CELL,
)))
GOOD_LINE_TOTAL = 10  # the group of total_amount


def fast_row(row: int, text: str) -> ClaimRow | None:
    """The row of a line that `GOOD_LINE` matches and that breaks no other rule, exactly as `parse_row` makes it;
    None when the line needs `parse_row` (to be a claim, or to say what is wrong with it)."""
    match = GOOD_LINE.fullmatch(text)
    if match is None:
        return None
    number, contract, order_q, order_p, day, odometer, labor, parts, tax, total, facility, cause_q, cause_p = \
        match.groups()
    order = order_p if order_q is None else order_q.replace('""', '"')  # RFC 4180: doubled quotes inside
    cause = cause_p if cause_q is None else cause_q.replace('""', '"')
    if not order.strip() or len(order) > MAX_REPAIR_ORDER or len(cause) > MAX_CAUSE:
        return None
    try:
        failure_date = date.fromisoformat(day)
    except ValueError:
        return None
    a, b, c, d = Decimal(labor), Decimal(parts), Decimal(tax), Decimal(total)
    if a + b + c != d:
        return None
    miles = int(odometer)
    # `ClaimRow(...)` with its fields set at once (a frozen dataclass's own __init__ sets them one by one through
    # object.__setattr__, several times the cost), and its canonical JSON from the line's text: a date the pattern
    # matched and date.fromisoformat took is its own isoformat(), an amount without a leading zero its own str(),
    # codes the patterns matched need no escaping
    made = _new(ClaimRow)
    made.__dict__.update({
        "row": row, "claim_number": number, "contract_number": contract, "repair_order": order,
        "failure_date": failure_date, "odometer": miles, "labor_amount": a, "parts_amount": b, "tax_amount": c,
        "total_amount": d, "repair_facility_code": facility, "cause": cause,
        _CANONICAL: (
            f'{{"cause":{encode_basestring(cause)},"claim_number":"{number}","contract_number":"{contract}",'
            f'"failure_date":"{day}","labor_amount":"{labor if labor[0] != "0" or labor[1] == "." else a}",'
            f'"odometer":{miles},"parts_amount":"{parts if parts[0] != "0" or parts[1] == "." else b}",'
            f'"repair_facility_code":"{facility}","repair_order":{encode_basestring(order)},'
            f'"tax_amount":"{tax if tax[0] != "0" or tax[1] == "." else c}",'
            f'"total_amount":"{total if total[0] != "0" or total[1] == "." else d}"}}'
        ),
    })
    return made


def parse_row(row: int, cells: Sequence[str]) -> ClaimRow | RowProblem:
    """One data row's cells checked column by column; every problem of the row is reported together."""
    if len(cells) != len(COLUMNS):
        return RowProblem(row, _echo(cells), (_cell_count(cells),))
    c = _Cells(cells)
    claim_number = c.matching("claim_number", _NUMBER, "6 to 20 characters A-Z, 0-9 or -")
    contract_number = c.matching("contract_number", _NUMBER, "6 to 20 characters A-Z, 0-9 or -")
    repair_order = c.text("repair_order", MAX_REPAIR_ORDER, required=True)
    failure_date = c.iso_date("failure_date")
    odometer = c.odometer("odometer")
    labor, parts, tax, total = (c.amount(name) for name in AMOUNTS)
    facility = c.matching("repair_facility_code", _FACILITY, "1 to 20 characters A-Z, 0-9 or -")
    cause = c.text("cause", MAX_CAUSE, required=False)
    if labor is not None and parts is not None and tax is not None and total is not None:
        c.reasons.extend(_sum_problem(labor, parts, tax, total))
    if c.reasons or failure_date is None or odometer is None or labor is None or parts is None or tax is None \
            or total is None:
        return RowProblem(row, _echo(cells), tuple(c.reasons))
    return ClaimRow(row, claim_number, contract_number, repair_order, failure_date, odometer,
                    labor, parts, tax, total, facility, cause)


def _cell_count(cells: Sequence[str]) -> Reason:
    if len(cells) > len(COLUMNS):
        return schema_invalid(None, f"more than {len(COLUMNS)} cells; the header has {len(COLUMNS)}")
    return schema_invalid(None, f"{len(cells)} cells; the header has {len(COLUMNS)}")


def _sum_problem(labor: Decimal, parts: Decimal, tax: Decimal, total: Decimal) -> list[Reason]:
    parts_sum = labor + parts + tax
    if parts_sum == total:
        return []
    message = f"total_amount {total} is not labor + parts + tax = {parts_sum}"
    return [Reason(ClaimReason.AMOUNT_INCONSISTENT, "total_amount", message)]


def _echo(cells: Sequence[str]) -> str | None:
    return cells[0][:MAX_ECHO_CHARS] if cells and cells[0] else None
