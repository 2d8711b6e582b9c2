"""How long a timer's NCRONTAB schedule (`sec min hour day month weekday`) can leave between two firings: the slack
that reconciliation allows a feed beyond its SLA, since a file can only be cut when the timer fires."""

from __future__ import annotations

import itertools
from datetime import timedelta

_RANGES = ((0, 59), (0, 59), (0, 23))  # seconds, minutes, hours


def _values(field: str, low: int, high: int) -> set[int]:
    found: set[int] = set()
    for part in field.split(","):
        span, _, step = part.partition("/")
        if span == "*":
            first, last = low, high
        elif "-" in span:
            first, last = (int(x) for x in span.split("-", 1))
        else:
            first = int(span)
            last = high if step else first
        if not low <= first <= last <= high or (step and int(step) < 1):
            raise ValueError(f"{part!r} is not within {low}-{high}")
        found.update(range(first, last + 1, int(step) if step else 1))
    return found


def longest_gap(schedule: str) -> timedelta:
    """The longest time between two consecutive firings of a schedule that fires every day (its day, month and
    weekday fields `*`). ValueError for any other schedule."""
    fields = schedule.split()
    if len(fields) != 6 or fields[3:] != ["*", "*", "*"]:
        raise ValueError(f"expected six fields firing every day (sec min hour * * *), got {schedule!r}")
    seconds, minutes, hours = (_values(f, low, high) for f, (low, high) in zip(fields, _RANGES, strict=False))
    times = sorted(h * 3600 + m * 60 + s for h in hours for m in minutes for s in seconds)
    gaps = [b - a for a, b in itertools.pairwise(times)] + [times[0] + 86400 - times[-1]]
    return timedelta(seconds=max(gaps))
