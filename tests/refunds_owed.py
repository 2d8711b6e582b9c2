"""Cancelled contracts whose refund has a state rule's deadline, built directly (the state rules themselves are
another part of the exchange): for the refund-overdue tests of the domain, the stores and the service."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from function_app.domain.change_feed.records import Lsn
from function_app.domain.change_feed.source_of_record import RowVersion, SourceOfRecord
from function_app.domain.kernel.catalogue import DEFAULT_CATALOGUE
from function_app.domain.realtime.contracts import Cancellation, ContractRecord, ContractStatus
from function_app.domain.realtime.decisions import ContractBook
from function_app.domain.realtime.payloads import CancellationRequest, ContractSubmission
from tests.events import cancellation, contract

DECIDED = date(2026, 3, 2)


def back_office(number: str, paid: date | None, status: str = "CANCELLED", lsn: int = 1) -> SourceOfRecord:
    """The back office's `contracts` row as the change feed left it, with `refund_paid_date` or without."""
    values = {"contract_number": number, "status": status, "refund_paid_date": paid.isoformat() if paid else None}
    return SourceOfRecord(RowVersion(Lsn(f"{lsn:08x}:00000000:0000", f"{lsn:08x}:00000000:0000", 0), values))


def owing(number: str, *, due_days: int | None = 30, decided_on: date | None = DECIDED, paid: date | None = None,
          rule: str | None = "TX") -> ContractRecord:
    """A contract cancelled on `decided_on` under state rule `rule`, its refund owed within `due_days`."""
    submission = ContractSubmission.model_validate(contract(number)["data"])
    active = ContractRecord(number, ContractStatus.ACTIVE, submission, 1, "h1", "D10442")
    event = cancellation(number)
    request = CancellationRequest.model_validate(event["data"])
    refund = replace(ContractBook(DEFAULT_CATALOGUE).quote(active, request), state_rule=rule)
    cancelled = Cancellation("c1", event["id"], event["source"], request, refund, decided_on, due_days)
    return replace(active, status=ContractStatus.CANCELLED, cancellation=cancelled,
                   source_of_record=back_office(number, paid))
