"""What the retention period lets go: contracts whose coverage ended more than the period ago, and the journal
dates that mention only such contracts. What goes together goes together: a date is kept while one contract it
mentions is kept, and a contract is kept while one date that mentions it is kept (its last use is recent)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from function_app.domain.claims.coverage import coverage_of
from function_app.domain.realtime.contracts import ContractRecord
from function_app.domain.retention.period import Retention


def coverage_end(record: ContractRecord) -> date | None:
    """The first day the contract no longer covers: its expiry, or the day after its cancel date when earlier.
    None when the exchange holds no accepted submission (only held requests), or a record it cannot read as
    coverage: retention leaves those alone."""
    if record.submission is None:
        return None
    try:
        coverage = coverage_of(record)
    except ValueError:
        return None
    if coverage.cancel_date is not None:
        return min(coverage.expiry, coverage.cancel_date + timedelta(days=1))
    return coverage.expiry


@dataclass(frozen=True)
class PurgePlan:
    contracts: frozenset[str]
    dates: tuple[date, ...]  # oldest first

    @property
    def empty(self) -> bool:
        return not self.contracts and not self.dates


def plan_purge(
    today: date,
    retention: Retention,
    ends: Mapping[str, date | None],
    mentions: Mapping[date, frozenset[str]],
    keep: frozenset[date] = frozenset(),
) -> PurgePlan:
    """`ends`: each stored contract's coverage end; `mentions`: each journal date's contract numbers; `keep`:
    dates that must stay whatever their age (their seal failed). A contract a date mentions that the store no
    longer holds (purged before, or never held) keeps nothing."""
    cutoff = retention.cutoff(today)
    contracts = {number for number, end in ends.items() if end is not None and end <= cutoff}
    dates = {day for day in mentions if day < cutoff and day not in keep}
    while True:
        blocked = {day for day in dates if any(n in ends and n not in contracts for n in mentions[day])}
        dates -= blocked
        used = {n for day, numbers in mentions.items() if day not in dates for n in numbers} & contracts
        contracts -= used
        if not blocked and not used:
            return PurgePlan(frozenset(contracts), tuple(sorted(dates)))
