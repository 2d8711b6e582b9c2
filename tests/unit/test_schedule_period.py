"""A timer schedule's longest gap: the slack a feed is allowed beyond its SLA before a fact is LATE."""

from __future__ import annotations

from datetime import timedelta

import pytest

from function_app.domain.kernel.schedule import longest_gap


@pytest.mark.parametrize(("schedule", "gap"), [
    ("0 * * * * *", timedelta(minutes=1)),
    ("0 */5 * * * *", timedelta(minutes=5)),
    ("30 */2 * * * *", timedelta(minutes=2)),
    ("0 0 8 * * *", timedelta(days=1)),
    ("0 0,45 * * * *", timedelta(minutes=45)),
    ("0 0-10/5 * * * *", timedelta(minutes=50)),
    ("*/20 * * * * *", timedelta(seconds=20)),
])
def test_the_longest_gap_between_two_firings(schedule: str, gap: timedelta) -> None:
    assert longest_gap(schedule) == gap


@pytest.mark.parametrize("schedule", ["0 */5 * * *", "0 0 8 * * 1-5", "0 61 * * * *", "0 */0 * * * *", "x * * * * *"])
def test_a_schedule_without_a_daily_period_is_refused(schedule: str) -> None:
    with pytest.raises(ValueError):
        longest_gap(schedule)
