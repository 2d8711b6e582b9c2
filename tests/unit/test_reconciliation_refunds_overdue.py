"""Refunds overdue through the reconciliation service on memory storage: every refund still owed is checked on every
run, whatever date is reconciled; the break stays open while unpaid and resolves on the run after the payment is
reported, late or not; the breaks metric counts it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from function_app import telemetry
from function_app.bootstrap import Exchange
from function_app.domain.realtime.contracts import ContractRecord
from function_app.domain.reconciliation.model import BreakKind
from function_app.service_layer.kernel.ports import ContractChange, StoredContract
from tests.partners import Clock, memory_exchange
from tests.refunds_owed import DECIDED, back_office, owing

DUE = DECIDED + timedelta(days=30)  # 2026-04-01
MORNING = datetime(2026, 4, 4, 13, 0, tzinfo=UTC)  # 08:00 on 4 April in Chicago: three days overdue
LATE, PAID, NO_RULE = "VSC8000001", "VSC8000002", "VSC8000003"


class Counter:
    def __init__(self) -> None:
        self.points: list[dict[str, Any]] = []

    def add(self, amount: int, attributes: dict[str, Any]) -> None:
        self.points += [attributes] * amount


def store(exchange: Exchange, *records: ContractRecord) -> None:
    exchange.contracts.save([ContractChange(r.contract_number, StoredContract(ContractRecord(r.contract_number)), r)
                             for r in records])


def report_paid(exchange: Exchange, number: str, paid: date) -> None:
    stored = exchange.contracts.load([number], {}).contracts[number]
    paid_record = replace(stored.record, source_of_record=back_office(number, paid, lsn=2))
    exchange.contracts.save([ContractChange(number, stored, paid_record)])


def test_an_unpaid_refund_is_overdue_on_every_run_and_resolves_once_paid_late(monkeypatch: pytest.MonkeyPatch) -> None:
    counter = Counter()
    monkeypatch.setattr(telemetry, "reconciliation_breaks", counter)
    clock = Clock(MORNING)
    exchange = memory_exchange(clock=clock)
    store(exchange, owing(LATE), owing(PAID, paid=DUE), owing(NO_RULE, due_days=None))

    yesterday = exchange.reconciliation.run(date(2026, 4, 3))
    assert [(b.kind, b.key) for b in yesterday.refunds_overdue] == [(BreakKind.REFUND_OVERDUE, LATE)]
    assert yesterday.refunds_overdue[0].detail.endswith("3 days overdue")
    assert not yesterday.agrees and yesterday.refunds_overdue[0] in yesterday.breaks
    assert yesterday.to_json()["refunds_overdue"] == [b.to_json() for b in yesterday.refunds_overdue]
    assert {"kind": "REFUND_OVERDUE", "scope": "refunds-owed"} in counter.points

    old_date = exchange.reconciliation.run(DECIDED)  # any date reconciled sees every refund owed, as of today
    assert [b.key for b in old_date.refunds_overdue] == [LATE] and old_date.resolved == ()

    report_paid(exchange, LATE, DUE + timedelta(days=5))  # paid four days late
    clock.now = MORNING + timedelta(days=1)
    paid = exchange.reconciliation.run(date(2026, 4, 4))
    assert paid.refunds_overdue == ()
    [resolved] = paid.resolved
    assert (resolved.kind, resolved.key, resolved.detail) == (BreakKind.REFUND_OVERDUE, LATE, "")
    assert exchange.breaks.open_standing() == []
    assert list(exchange.contracts.refunds_owed()) == []

    again = exchange.reconciliation.run(date(2026, 4, 5))
    assert again.refunds_overdue == () and again.resolved == ()


def test_on_its_due_date_a_refund_is_not_overdue_yet_in_the_business_time_zone() -> None:
    due_evening = datetime(2026, 4, 2, 3, 0, tzinfo=UTC)  # 1 April, 22:00 in Chicago, already 2 April in UTC
    exchange = memory_exchange(clock=Clock(due_evening))
    store(exchange, owing(LATE))
    assert exchange.reconciliation.run(date(2026, 3, 31)).refunds_overdue == ()
