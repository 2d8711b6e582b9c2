"""When a feed's next file is due, its name, and exactly which journal positions it will cover."""

from __future__ import annotations

from datetime import date, datetime

from function_app.domain.delivery.formats import EXTENSIONS
from function_app.domain.kernel.feed_mode import FeedMode
from function_app.domain.kernel.partners import Feed
from function_app.service_layer.delivery.feed_facts import FeedFacts, Ranges, position_bound
from function_app.service_layer.delivery.ports import FeedState, FileClaim


def blob_name(partner: str, feed: Feed, business_date: date, sequence: int) -> str:
    day = business_date
    base = f"{partner}_{feed.name}_{day:%Y%m%d}_{sequence:03d}.{EXTENSIONS[feed.format]}"
    return f"outbound/{feed.name}/{day:%Y}/{day:%m}/{day:%d}/{base}"


class FilePlanner:
    def __init__(self, facts: FeedFacts) -> None:
        self._facts = facts

    def plan(
        self, partner: str, feed: Feed, business_date: date, state: FeedState, now: datetime, cut_now: bool,
        upto: datetime,
    ) -> FileClaim | None:
        """The next file, or None when none is due: a daily feed gets its first file of a date even when empty,
        and more only for late facts; a micro-batch feed gets one when its SLA or size trigger says so. It covers
        facts decided up to `upto` (the delivery bound: every fact decided by then is committed)."""
        bound = position_bound(upto)
        ranges = {d.isoformat(): (state.watermarks.get(d.isoformat(), ""), bound) for d in self._facts.days(
            business_date)}
        first_of_day = state.sequences.get(business_date.isoformat()) is None
        if feed.mode is FeedMode.DAILY:
            if not first_of_day and not self._facts.waiting(feed, ranges, 1):
                return None
        elif (not cut_now and not self._micro_due(feed, state, ranges, now)) or not self._facts.waiting(
                feed, ranges, 1):
            return None
        sequence = state.sequences.get(business_date.isoformat(), 0) + 1
        chain_from = {day: state.chains[day] for day in ranges if day in state.chains}
        return FileClaim(business_date, sequence, blob_name(partner, feed, business_date, sequence), ranges, now,
                         chain_from)

    def _micro_due(self, feed: Feed, state: FeedState, ranges: Ranges, now: datetime) -> bool:
        """Often enough to meet the SLA, or early when enough records wait (the size trigger)."""
        if state.last_cut_at is None or now - state.last_cut_at >= feed.sla_timedelta / 2:
            return True
        return self._facts.waiting(feed, ranges, feed.cut_at_records)
