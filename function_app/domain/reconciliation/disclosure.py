"""What a break may say of a partner file's records: it names columns, records and contracts, quotes amounts, and
never quotes the values of other fields, personal ones above all (spec/PARTNER-FILES.md, PII levels). Reports and
the `reconbreaks` table hold break details long after the files they describe, and are read by more people."""

from __future__ import annotations

import re
from collections.abc import Sequence

from function_app.domain.delivery.fields import FIELDS, FieldKind
from function_app.domain.delivery.parsing import Row

BOM = "\ufeff"
# what a parser's message may quote of the file: a repr'd 'string' or "string" (not the apostrophe of "feed's")
_QUOTED = re.compile(r"""(?<!\w)(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")(?!\w)""")


def may_quote(column: str) -> bool:
    """Whether a break may show this column's values: amounts only (a field the catalogue does not know, never)."""
    field = FIELDS.get(column)
    return field is not None and field.kind is FieldKind.MONEY and field.personal is None


def differing(fields: Sequence[str], want: Row, got: Row) -> tuple[list[str], list[str]]:
    """The money columns that differ, each with both amounts, and the other columns that differ, each by name."""
    money, others = [], []
    for column, expected, found in zip(fields, want, got, strict=True):
        if expected == found:
            continue
        if may_quote(column):
            money.append(f"{column} {expected!r} in the journal, {found!r} in the file")
        else:
            others.append(column)
    return money, others


def shown(fields: Sequence[str], row: Row) -> str:
    """A record as a break may show it: its contract and amounts; every other column filled or empty, unquoted."""
    cells = [
        f"{column} {text!r}" if column == "contract_number" or may_quote(column) else
        f"{column} {'(withheld)' if text else '(empty)'}"
        for column, text in zip(fields, row, strict=True)
    ]
    return f"({', '.join(cells)})"


def unreadable(error: ValueError, data: bytes) -> str:
    """Why a file does not parse, as a parser says it, with whatever it quotes of the file left out."""
    reason = _QUOTED.sub("…", str(error))
    if data.startswith(BOM.encode("utf-8")):
        return f"it begins with a byte order mark ({reason})"
    return reason
