"""REFUND_OVERDUE in the domain (REFUNDS.md, "State rules"): due, not due, paid on time, paid late, paid before the
decision, no rule; the break names the contract, the rule, the due date and the days, nothing personal."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from function_app.domain.realtime.contracts import ContractStatus
from function_app.domain.reconciliation.model import KIND_MEANINGS, BreakKind
from function_app.domain.reconciliation.refunds_overdue import (
    REFUNDS_OWED,
    overdue_breaks,
    refund_deadline,
    refund_owed,
)
from tests.refunds_owed import DECIDED, owing

NUMBER = "VSC2501150001"
DUE = DECIDED + timedelta(days=30)


def test_a_refund_unpaid_past_its_due_date_is_overdue_by_the_days_since() -> None:
    [found] = overdue_breaks([owing(NUMBER)], DUE + timedelta(days=3))
    assert (found.kind, found.scope, found.key, found.contract_number) == (BreakKind.REFUND_OVERDUE, REFUNDS_OWED,
                                                                          NUMBER, NUMBER)
    assert found.business_date == DECIDED  # the cancellation's date, whatever date is being reconciled
    assert found.detail == (f"{NUMBER}: the refund of its cancellation (state rule TX) was due by 2026-04-01 and is "
                            "not reported paid: 3 days overdue")


def test_the_due_date_itself_is_not_overdue_and_the_day_after_is_one_day() -> None:
    assert overdue_breaks([owing(NUMBER)], DUE) == ()
    assert overdue_breaks([owing(NUMBER)], DECIDED) == ()
    [found] = overdue_breaks([owing(NUMBER)], DUE + timedelta(days=1))
    assert found.detail.endswith(": 1 day overdue")


@pytest.mark.parametrize("paid", [DECIDED, DUE, DUE + timedelta(days=9), DECIDED - timedelta(days=4)],
                         ids=["on the decision date", "on the due date", "late", "before the decision"])
def test_a_refund_reported_paid_is_never_overdue(paid: date) -> None:
    record = owing(NUMBER, paid=paid)
    assert not refund_owed(record)
    assert overdue_breaks([record], DUE + timedelta(days=60)) == ()


@pytest.mark.parametrize("missing", ["due_days", "decided_on"])
def test_a_cancellation_without_a_deadline_is_never_overdue(missing: str) -> None:
    record = owing(NUMBER, **{missing: None})
    assert refund_deadline(record) is None and not refund_owed(record)
    assert overdue_breaks([record], DUE + timedelta(days=365)) == ()


def test_a_contract_not_cancelled_owes_nothing() -> None:
    record = replace(owing(NUMBER), status=ContractStatus.ACTIVE)
    assert not refund_owed(record) and overdue_breaks([record], DUE + timedelta(days=5)) == ()


def test_a_refund_without_a_named_rule_says_so_and_a_zero_day_deadline_is_the_decision_date() -> None:
    [found] = overdue_breaks([owing(NUMBER, rule=None, due_days=0)], DECIDED + timedelta(days=2))
    assert "(no named state rule) was due by 2026-03-02" in found.detail and found.detail.endswith("2 days overdue")


def test_the_break_names_nothing_personal() -> None:
    record = owing(NUMBER)
    assert record.submission is not None
    [found] = overdue_breaks([record], DUE + timedelta(days=2))
    customer, vehicle = record.submission.customer, record.submission.vehicle
    for value in (customer.first_name, customer.last_name, customer.postal_code, vehicle.vin):
        assert value not in found.detail


def test_the_kind_has_its_meaning() -> None:
    assert KIND_MEANINGS[BreakKind.REFUND_OVERDUE].label == "Refund overdue"
