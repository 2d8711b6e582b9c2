"""Breaks across runs: a break stays open until a later run of its date no longer finds it."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from function_app.domain.reconciliation.model import Break


class BreakStatus(StrEnum):
    OPEN = "OPEN"  # found by the last run of its date
    RESOLVED = "RESOLVED"  # found by an earlier run, no longer by a later one


def resolve(previous: Iterable[Break], current: Iterable[Break]) -> tuple[Break, ...]:
    """The earlier breaks (by identity) this comparison no longer finds."""
    found = {b.identity for b in current}
    return distinct(b for b in previous if b.identity not in found)


def distinct(breaks: Iterable[Break]) -> tuple[Break, ...]:
    """One break per identity, the first found."""
    first: dict[str, Break] = {}
    for found in breaks:
        first.setdefault(found.identity, found)
    return tuple(first.values())
