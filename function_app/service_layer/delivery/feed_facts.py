"""The journal as one partner feed sees it: the facts it receives within the journal ranges a file covers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from function_app.domain.kernel.chain import ChainCursor, genesis
from function_app.domain.kernel.journal import JournalFact
from function_app.domain.kernel.partners import Feed
from function_app.service_layer.delivery.ports import FeedState
from function_app.service_layer.kernel.ports import Journal

Ranges = dict[str, tuple[str, str]]  # business date -> (after position, up to position)


def decided_at_position(position: str) -> datetime:
    """A position begins with the UTC time its fact was decided (see `position_bound`)."""
    return datetime.strptime(position[:22], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)


def position_bound(moment: datetime) -> str:
    """The greatest position a fact decided at or before `moment` can have (positions start with the stamp)."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "~"


class FeedFacts:
    """Reads the business dates a file may cover: the job's date and `lookback_days` before it."""

    def __init__(self, journal: Journal, lookback_days: int) -> None:
        self._journal = journal
        self.lookback_days = lookback_days

    def days(self, business_date: date) -> list[date]:
        """The looked-at business dates, oldest first."""
        return [business_date - timedelta(days=k) for k in range(self.lookback_days, -1, -1)]

    def in_ranges(self, ranges: Ranges) -> Iterator[JournalFact]:
        """Every fact of the ranges, date by date in position order."""
        for _, facts in self.day_by_day(ranges):
            yield from facts

    def day_by_day(self, ranges: Ranges) -> Iterator[tuple[str, Iterator[JournalFact]]]:
        """Each date of the ranges (ISO), oldest first, with its facts in position order; take them before the next."""
        for day, (after, upto) in sorted(ranges.items()):
            yield day, self._in_range(day, after, upto)

    def _in_range(self, day: str, after: str, upto: str) -> Iterator[JournalFact]:
        for fact in self._journal.read(date.fromisoformat(day), after or None):
            if fact.position > upto:
                break
            yield fact

    def chain_at(self, day: str, position: str) -> str:
        """The date's chain link at a position (its last fact at or before it), read from the date's start."""
        business_date = date.fromisoformat(day)
        cursor = ChainCursor(genesis(business_date))
        if position:
            for fact in self._journal.read(business_date):
                if fact.position > position:
                    break
                cursor.advance(fact)
        return cursor.value

    def waiting(self, feed: Feed, ranges: Ranges, enough: int) -> bool:
        """Whether at least `enough` facts the feed receives lie in the ranges."""
        found = 0
        for fact in self.in_ranges(ranges):
            found += feed.receives(fact)
            if found >= enough:
                return True
        return False

    def count(self, feed: Feed, ranges: Ranges) -> int:
        return sum(feed.receives(fact) for fact in self.in_ranges(ranges))

    def held_back(self, business_date: date, feed: Feed, state: FeedState, bound: str) -> int:
        """Facts the feed receives that no file holds yet, decided after `bound`: they wait for a later file."""
        held = 0
        for day in self.days(business_date):
            after = max(state.watermarks.get(day.isoformat(), ""), bound)
            held += sum(feed.receives(fact) for fact in self._journal.read(day, after))
        return held

    def backlog(self, feed: Feed, state: FeedState, today: date) -> tuple[int, datetime | None]:
        """Facts the feed receives that no file holds yet, and when the oldest of them was decided."""
        waiting, oldest = 0, None
        for day in self.days(today):
            for fact in self._journal.read(day, state.watermarks.get(day.isoformat()) or None):
                if feed.receives(fact):
                    waiting += 1
                    oldest = fact.position if oldest is None else min(oldest, fact.position)
        return waiting, None if oldest is None else decided_at_position(oldest)
