"""A delivered file's records paired with the facts its journal ranges give it: found as expected, altered,
missing, another date's, or accounted for by no fact of the file. An altered record names its columns; only its
amounts are quoted (disclosure.py)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

from function_app.domain.delivery.parsing import Row
from function_app.domain.kernel.journal import JournalFact
from function_app.domain.reconciliation.disclosure import differing
from function_app.domain.reconciliation.feed_scope import FeedScope
from function_app.domain.reconciliation.journal_facts import named
from function_app.domain.reconciliation.model import Break, BreakKind

_T = TypeVar("_T")


@dataclass(frozen=True)
class MatchedRecords:
    """A file's records against the facts its ranges give it."""

    found: list[JournalFact]  # the record as expected
    altered: list[tuple[JournalFact, Row, int]]  # the fact, the row it should give, the record in its place
    missing: list[JournalFact]
    set_aside: list[int]  # records of other dates' facts
    extras: list[int]  # records no fact of the file accounts for

    def breaks(self, ctx: FeedScope, name: str, actual: list[Row]) -> Iterator[Break]:
        """Each altered record: its money that differs, with both amounts (AMOUNT_MISMATCH), and its other columns
        that differ, by name only (RECORD_MISMATCH); and each missing one."""
        for fact, row, index in self.altered:
            money, others = differing(ctx.fields, row, actual[index])
            where = f"{named(fact)} differs in {name} record {index + 1}"
            if money:
                detail = f"{where}: {'; '.join(money)}"
                yield ctx.broken(BreakKind.AMOUNT_MISMATCH, fact.contract_number, fact.contract_number, detail)
            if others:
                detail = f"{where} in {', '.join(others)} (values not shown)"
                yield ctx.broken(BreakKind.RECORD_MISMATCH, fact.contract_number, fact.contract_number, detail)
        for fact in self.missing:
            detail = f"{named(fact)} is not in {name}"
            yield ctx.broken(BreakKind.MISSING, fact.contract_number, fact.contract_number, detail)


def match(
    ctx: FeedScope, expected: list[tuple[JournalFact, Row]], others: list[Row], actual: list[Row]
) -> MatchedRecords:
    """Records equal to an expected row first (as multisets); then, by key, what is left: an expected row and a
    record with the same key are one record altered; an expected row without one is missing."""
    free: dict[Row, deque[int]] = {}
    for index, row in enumerate(actual):
        free.setdefault(row, deque()).append(index)
    exact = [(fact, row, _take(free, row)) for fact, row in expected]
    found = [fact for fact, _, index in exact if index is not None]
    unmatched = [(fact, row) for fact, row, index in exact if index is None]
    aside = [(row, _take(free, row)) for row in others]
    left = sorted(index for indices in free.values() for index in indices)
    altered, missing, left = _pair(ctx, unmatched, left, actual)
    # another date's record, altered: reconciled (and reported) on its own date
    other_altered, _, extras = _pair(ctx, [(row, row) for row, index in aside if index is None], left, actual)
    set_aside = [index for _, index in aside if index is not None] + [index for _, _, index in other_altered]
    return MatchedRecords(found, altered, [fact for fact, _ in missing], sorted(set_aside), extras)


def _take(free: dict[Row, deque[int]], row: Row) -> int | None:
    indices = free.get(row)
    return indices.popleft() if indices else None


def _pair(
    ctx: FeedScope, wanted: list[tuple[_T, Row]], left: list[int], actual: list[Row]
) -> tuple[list[tuple[_T, Row, int]], list[tuple[_T, Row]], list[int]]:
    """Wanted rows paired in order with the remaining records of the same key; what stays unpaired on each side."""
    by_key: dict[str, deque[int]] = {}
    for index in left:
        by_key.setdefault(ctx.key(actual[index]), deque()).append(index)
    paired: list[tuple[_T, Row, int]] = []
    unpaired: list[tuple[_T, Row]] = []
    for item, row in wanted:
        queue = by_key.get(ctx.key(row))
        if queue:
            paired.append((item, row, queue.popleft()))
        else:
            unpaired.append((item, row))
    taken = {index for _, _, index in paired}
    return paired, unpaired, [index for index in left if index not in taken]
