"""State rules through the real-time service over in-memory storage: the cancellation's feedback names the state
whose rule applied, and the contract's record keeps the refund deadline that rule sets."""

from __future__ import annotations

from datetime import date

import pytest

from function_app.adapters.memory_storage import memory_storage
from function_app.bootstrap import Exchange, bootstrap
from function_app.config import load_settings
from function_app.domain.realtime.contracts import Cancellation
from function_app.domain.realtime.decisions import ContractBook, RefundDue
from function_app.domain.realtime.payloads import CancellationRequest
from tests.events import cancellation, contract, messages

NUMBER = "VSC2501150001"


@pytest.fixture
def exchange() -> Exchange:
    return bootstrap(load_settings({}), storage=memory_storage())  # the shipped example rules


def cancelled(exchange: Exchange, state: str) -> tuple[dict[str, object], Cancellation]:
    exchange.realtime.process(messages("contracts", [contract(NUMBER, customer__state=state)]))
    report = exchange.realtime.process(messages("cancellations", [cancellation(NUMBER)], start=1))
    assert [fb.decision.status for fb in report.feedback] == ["ACCEPTED"]
    stored = exchange.contracts.load({NUMBER}, {}).contracts[NUMBER].record
    assert stored.cancellation is not None
    return report.feedback[0].to_json()["data"]["refund"], stored.cancellation


def test_a_california_cancellation_names_its_rule_and_the_record_keeps_the_refund_deadline(exchange: Exchange) -> None:
    refund, kept = cancelled(exchange, "CA")
    # REFUNDS.md "VSC, mid-term" with CA's fee cap: min(50.00, 25.00, 10 % of 1725.71) = 25.00
    assert (refund["cancellation_fee"], refund["customer_refund"], refund["state_rule"]) == ("25.00", "1700.71", "CA")
    assert (kept.refund_due_days, kept.decided_on) == (30, date(2026, 3, 2))
    assert kept.refund.state_rule == "CA"


def test_a_cancellation_in_a_state_without_rules_names_none_and_has_no_deadline(exchange: Exchange) -> None:
    refund, kept = cancelled(exchange, "GA")
    assert (refund["cancellation_fee"], refund["customer_refund"], refund["state_rule"]) == ("50.00", "1675.71", None)
    assert kept.refund_due_days is None


def test_a_rule_for_other_products_leaves_the_refund_and_its_deadline_alone(exchange: Exchange) -> None:
    refund, kept = cancelled(exchange, "NY")  # NY's example rule names GAP only
    assert (refund["customer_refund"], refund["state_rule"], kept.refund_due_days) == ("1675.71", None, None)


def test_a_quote_is_assessed_with_the_same_rules_as_the_cancellation(exchange: Exchange) -> None:
    exchange.realtime.process(messages("contracts", [contract(NUMBER, customer__state="TX")]))
    record = exchange.contracts.load({NUMBER}, {}).contracts[NUMBER].record
    request = CancellationRequest.model_validate(cancellation(NUMBER)["data"])
    book = ContractBook(exchange.settings.catalogue, exchange.settings.state_rules)  # as bootstrap builds it
    assessed = book.assess_cancellation(record, request)
    assert isinstance(assessed, RefundDue)
    assert (assessed.refund.state_rule, assessed.refund_due_days) == ("TX", 45)
