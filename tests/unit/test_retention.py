"""What the retention period lets go: coverage end plus the period, and journal dates that go with their contracts."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from function_app.domain.realtime.contracts import ContractRecord
from function_app.domain.retention.period import Retention
from function_app.domain.retention.policy import coverage_end, plan_purge
from tests.retention import record

TODAY = date(2026, 3, 2)
RETENTION = Retention(730)
CUTOFF = RETENTION.cutoff(TODAY)  # 2024-03-02: coverage that ended on or before it is past the period
DAY = timedelta(days=1)


def test_the_cutoff_is_the_period_before_today() -> None:
    assert RETENTION.cutoff(TODAY) == date(2024, 3, 2)


def test_coverage_ends_at_expiry_or_the_day_after_the_cancel_date() -> None:
    assert coverage_end(record("VSC000001", date(2020, 1, 15), 12)) == date(2021, 1, 15)
    assert coverage_end(record("VSC000001", date(2020, 1, 15), 12, cancel_date=date(2020, 6, 1))) == date(2020, 6, 2)
    assert coverage_end(ContractRecord("VSC000001")) is None  # only held requests: nothing accepted


def test_a_cancelled_record_without_its_cancellation_is_left_alone() -> None:
    broken = replace(record("VSC000001", date(2010, 1, 1), 12, cancel_date=date(2010, 2, 1)), cancellation=None)
    assert coverage_end(broken) is None
    assert plan_purge(TODAY, RETENTION, {"VSC000001": None}, {}).contracts == frozenset()


def test_a_contract_one_day_inside_the_period_stays_one_day_outside_goes() -> None:
    outside = record("VSC-OUT1", date(2023, 3, 2), 12)  # coverage ended on the cutoff: the period is over
    inside = record("VSC-IN01", date(2023, 3, 3), 12)  # coverage ended the day after: one day of the period left
    assert (coverage_end(outside), coverage_end(inside)) == (CUTOFF, CUTOFF + DAY)
    plan = plan_purge(TODAY, RETENTION, {"VSC-OUT1": coverage_end(outside), "VSC-IN01": coverage_end(inside)}, {})
    assert plan.contracts == {"VSC-OUT1"}


def test_a_cancelled_contract_goes_by_its_cancel_date_not_its_term() -> None:
    ends = {
        "VSC-GONE": coverage_end(record("VSC-GONE", date(2022, 1, 1), 120, cancel_date=CUTOFF - DAY)),
        "VSC-KEPT": coverage_end(record("VSC-KEPT", date(2022, 1, 1), 120, cancel_date=CUTOFF)),
        "VSC-TERM": coverage_end(record("VSC-TERM", date(2022, 1, 1), 120)),  # the same term, not cancelled: covered
    }
    assert plan_purge(TODAY, RETENTION, ends, {}).contracts == {"VSC-GONE"}


def test_a_date_with_one_live_contract_stays_and_keeps_the_others_it_mentions() -> None:
    ends = {"OLD1": date(2020, 1, 1), "OLD2": date(2020, 1, 1), "OLD3": date(2020, 1, 1), "LIVE": TODAY + DAY}
    shared, alone = date(2019, 5, 1), date(2019, 5, 2)
    mentions = {shared: frozenset({"OLD1", "LIVE"}), alone: frozenset({"OLD2", "OLD3"})}
    plan = plan_purge(TODAY, RETENTION, ends, mentions)
    assert plan.dates == (alone,)
    assert plan.contracts == {"OLD2", "OLD3"}  # OLD1 goes with the date that has to stay


def test_what_goes_together_goes_together_across_dates() -> None:
    ends = {"A": date(2020, 1, 1), "B": date(2020, 1, 1), "LIVE": TODAY}
    first, second = date(2019, 1, 1), date(2019, 1, 2)
    mentions = {first: frozenset({"A"}), second: frozenset({"A", "B", "LIVE"})}
    assert plan_purge(TODAY, RETENTION, ends, mentions).empty  # B kept by `second`, A by `second`, so `first` too


def test_a_date_goes_only_when_it_is_older_than_the_period() -> None:
    ends = {"OLD": date(2020, 1, 1)}
    mentions = {CUTOFF - DAY: frozenset({"OLD"}), CUTOFF: frozenset({"OLD"})}
    plan = plan_purge(TODAY, RETENTION, ends, mentions)
    assert plan.dates == () and plan.contracts == frozenset()  # the recent use keeps the contract and both dates
    assert plan_purge(TODAY, RETENTION, ends, {CUTOFF - DAY: frozenset({"OLD"})}).dates == (CUTOFF - DAY,)


def test_a_contract_the_store_no_longer_holds_keeps_no_date() -> None:
    mentions = {date(2019, 1, 1): frozenset({"PURGED-BEFORE", "OLD"})}
    plan = plan_purge(TODAY, RETENTION, {"OLD": date(2020, 1, 1)}, mentions)
    assert plan.dates == (date(2019, 1, 1),) and plan.contracts == {"OLD"}


def test_a_contract_without_coverage_keeps_its_dates() -> None:
    mentions = {date(2019, 1, 1): frozenset({"HELD-ONLY", "OLD"})}
    assert plan_purge(TODAY, RETENTION, {"OLD": date(2020, 1, 1), "HELD-ONLY": None}, mentions).empty


def test_a_date_that_must_stay_keeps_its_contracts() -> None:
    ends = {"A": date(2020, 1, 1), "B": date(2020, 1, 1)}
    mentions = {date(2019, 1, 1): frozenset({"A"}), date(2019, 1, 2): frozenset({"B"})}
    plan = plan_purge(TODAY, RETENTION, ends, mentions, keep=frozenset({date(2019, 1, 1)}))
    assert plan.dates == (date(2019, 1, 2),) and plan.contracts == {"B"}
