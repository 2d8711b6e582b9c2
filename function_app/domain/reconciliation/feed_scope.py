"""One partner feed on one business date, as its file comparison sees it: the rows its facts should give, how its
records pair, how its money adds up, and the breaks it names."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from function_app.domain.delivery.formats import writer_for
from function_app.domain.delivery.parsing import Row, file_totals, parse_rows
from function_app.domain.delivery.records import PiiLevel, record
from function_app.domain.kernel.journal import JournalFact
from function_app.domain.kernel.partners import Feed
from function_app.domain.reconciliation.model import Break, BreakKind

_ANY_DAY = date(2000, 1, 1)  # expected rows are read back without their header, so its date does not matter


def expected_rows(facts: Iterable[JournalFact], feed: Feed) -> list[Row]:
    """What the feed's file holds for these facts, one row per fact: written by the real writer, read back."""
    fields = list(feed.fields)
    writer = writer_for(feed.format, "reconciliation", feed.name, _ANY_DAY, 1, fields)
    pii = PiiLevel(feed.pii)
    rows = writer.rows(record(fact, fields, pii) for fact in facts)
    data = writer.header() + b"".join(rows) + writer.trailer()
    return parse_rows(feed.format, data, fields)


@dataclass(frozen=True)
class FeedScope:
    scope: str  # "<partner>/<feed>", the scope of every break it names
    business_date: date
    feed: Feed

    @property
    def fields(self) -> list[str]:
        return list(self.feed.fields)

    def broken(self, kind: BreakKind, key: str, contract: str | None, detail: str) -> Break:
        return Break(kind, self.business_date, self.scope, key, contract, detail)

    def contract_in(self, row: Row) -> str | None:
        """The row's contract number when the feed lists that column (rows are keyed by it), else None."""
        if "contract_number" not in self.feed.fields:
            return None
        return row[self.feed.fields.index("contract_number")] or None

    def key(self, row: Row) -> str:
        """Rows pair by contract number, or by their order in the file when the feed has no such column."""
        return self.contract_in(row) or ""

    def totals(self, rows: Sequence[Row]) -> dict[str, str]:
        return file_totals(self.feed.format, rows, self.fields)

    def expected_rows(self, facts: Iterable[JournalFact]) -> list[Row]:
        return expected_rows(facts, self.feed)

    def read(self, data: bytes) -> list[Row]:
        """A delivered file's records; ValueError unless it parses and every money cell is an amount."""
        rows = parse_rows(self.feed.format, data, self.fields)
        self.totals(rows)  # raises unless every money cell is an amount
        return rows
