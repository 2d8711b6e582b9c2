"""A quote is exactly the refund of the cancellation that follows it (spec/API.md "Promises"), across the random
contracts and cancellations the refund property tests generate, through the service layer on memory storage."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from function_app.adapters.memory_storage import memory_storage
from function_app.bootstrap import bootstrap
from function_app.config import load_settings
from function_app.domain.api.callers import Caller, CallerKind
from function_app.domain.change_feed.records import Lsn
from function_app.domain.change_feed.source_of_record import RowVersion, SourceOfRecord
from function_app.domain.kernel.money import money_str
from function_app.domain.realtime.refunds import CancellationFacts, RefundTerms
from function_app.service_layer.api.queries import Quoted
from function_app.service_layer.kernel.ports import StoredContract
from tests.events import cancellation, contract, messages
from tests.unit.test_refunds import cancellations, contracts

DEALER = Caller("dealer-app", CallerKind.DEALER, "D10442")
NUMBER = "VSC-PROP-0001"


def submission(terms: RefundTerms) -> dict[str, Any]:
    """The refund tests' contract as a valid submission (EVENTS.md bounds: price, effective date, vehicle year)."""
    retail = max(terms.retail, Decimal("0.01"))
    effective = min(terms.effective_date, terms.sale_date + timedelta(days=30))
    lienholder = {"name": "First Prairie Credit Union", "code": "FPCU"} if terms.has_lienholder else None
    return contract(NUMBER, product__type=terms.product_type.value, pricing__retail_price=money_str(retail),
                    pricing__dealer_cost=money_str(min(terms.cost, retail)), term_months=terms.term_months,
                    term_miles=terms.term_miles, sale_date=terms.sale_date.isoformat(),
                    effective_date=effective.isoformat(), vehicle__year=terms.sale_date.year,
                    vehicle__odometer=terms.sale_odometer, lienholder=lienholder)


def with_claims_paid(stored: StoredContract, paid: Decimal) -> StoredContract:
    """Claims paid as the change feed would have recorded them (REFUNDS.md deducts them)."""
    row = RowVersion(Lsn("0001", "0001", 1), {"status": "PAID", "paid_amount": str(paid)})
    return replace(stored, record=replace(stored.record, source_of_record=SourceOfRecord(claims={"CL-1": row})))


@st.composite
def cases(draw: st.DrawFn) -> tuple[RefundTerms, CancellationFacts]:
    terms = draw(contracts())
    return terms, draw(cancellations(terms))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_a_quote_is_the_refund_of_the_cancellation_that_follows_it(case: tuple[RefundTerms, CancellationFacts]
                                                                   ) -> None:
    terms, cancel = case
    moment = datetime.combine(max(cancel.cancel_date, terms.sale_date), time(15), tzinfo=UTC)  # both decided then
    exchange = bootstrap(load_settings({}), storage=memory_storage(), clock=lambda: moment)
    exchange.realtime.process(messages("contracts", [submission(terms)], at=moment))
    store: Any = exchange.contracts
    if cancel.claims_paid:
        store.records[NUMBER] = with_claims_paid(store.records[NUMBER], cancel.claims_paid)
    values: dict[str, Any] = {"cancel_date": cancel.cancel_date.isoformat(), "odometer": cancel.odometer,
                              "reason": cancel.reason}

    quote = exchange.api.quote(DEALER, NUMBER, values)
    report = exchange.realtime.process(messages("cancellations", [cancellation(NUMBER, **values)], at=moment))

    (feedback,) = report.feedback
    assert isinstance(quote, Quoted), quote
    assert feedback.decision.refund == quote.refund
    assert quote.quoted_at == moment
    assert store.records[NUMBER].record.cancellation.refund_due_days == quote.refund_due_days

