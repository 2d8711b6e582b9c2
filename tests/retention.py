"""Contracts and journal facts of a given age, for the retention tests: records as the store holds them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from function_app.domain.kernel.catalogue import RefundMethod
from function_app.domain.kernel.feedback import Payee, Refund
from function_app.domain.kernel.journal import FactKind, JournalFact
from function_app.domain.realtime.contracts import Cancellation, ContractRecord, ContractStatus
from function_app.domain.realtime.payloads import CancellationRequest, ContractSubmission
from tests.events import cancellation, contract


def record(number: str, effective: date, term_months: int = 12, cancel_date: date | None = None) -> ContractRecord:
    """A contract effective on `effective` for `term_months`; cancelled on `cancel_date` when given."""
    data = contract(number, sale_date=effective.isoformat(), effective_date=effective.isoformat(),
                    term_months=term_months)["data"]
    accepted = ContractRecord(number, ContractStatus.ACTIVE, ContractSubmission.model_validate(data), 1, "h1",
                              data["dealer_code"])
    if cancel_date is None:
        return accepted
    request = CancellationRequest.model_validate(cancellation(number, cancel_date=cancel_date.isoformat())["data"])
    nil = Decimal("0.00")
    refund = Refund(RefundMethod.PRO_RATA, Decimal("1.000000"), 0, 0, nil, nil, nil, nil, nil, nil, Payee.CUSTOMER)
    return replace(accepted, status=ContractStatus.CANCELLED,
                   cancellation=Cancellation("c" * 64, "x", "urn:dealer:D10442", request, refund))


def fact(day: date, number: str, position: str, kind: FactKind = FactKind.CONTRACT_ACCEPTED) -> JournalFact:
    return JournalFact(day, position, kind, number, 1, "D10442", "VSC", "TOYOTA", "ADM-01", f"e-{number}-{position}",
                       "urn:dealer:D10442", {"contract": {"contract_number": number}})
