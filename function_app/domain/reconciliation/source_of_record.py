"""The exchange against the source of record: each contract the exchange accepted or cancelled on a date, as the
back office now reports it; and, for a cancellation, the refund sent against the one due."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from function_app.domain.kernel.catalogue import Catalogue
from function_app.domain.kernel.journal import FactKind, JournalFact
from function_app.domain.kernel.state_rules import NO_STATE_RULES, StateRules
from function_app.domain.realtime.contracts import ContractRecord, ContractStatus
from function_app.domain.reconciliation.journal_facts import decided_at, named
from function_app.domain.reconciliation.model import Break, BreakKind
from function_app.domain.reconciliation.refunds import refund_differences
from function_app.domain.reconciliation.runs import distinct

SOURCE_OF_RECORD = "source-of-record"  # the scope of every break this comparison finds
_EXCHANGE_FACTS = frozenset({FactKind.CONTRACT_ACCEPTED, FactKind.CONTRACT_REVISED, FactKind.CONTRACT_CANCELLED})


def compare_source_of_record(
    *,
    business_date: date,
    accepted: Sequence[tuple[JournalFact, ContractRecord]],
    now: datetime,
    grace: timedelta,
    catalogue: Catalogue,
    state_rules: StateRules = NO_STATE_RULES,
) -> tuple[Break, ...]:
    """The date's contracts accepted and cancellations accepted, each with its contract's current record, against
    what the back office reports for it. A fact decided within `grace` of `now` is not checked yet: the back
    office takes time to hear of it."""
    breaks = [
        b
        for fact, current in accepted
        if fact.kind in _EXCHANGE_FACTS and now - decided_at(fact) > grace
        for b in _against_back_office(business_date, fact, current, catalogue, state_rules)
    ]
    return distinct(breaks)


def _broken(kind: BreakKind, day: date, contract: str, detail: str) -> Break:
    return Break(kind, day, SOURCE_OF_RECORD, contract, contract, detail)


def _against_back_office(
    day: date, fact: JournalFact, current: ContractRecord, catalogue: Catalogue, state_rules: StateRules
) -> list[Break]:
    number, back_office = fact.contract_number, current.source_of_record.status
    if back_office is None:
        detail = f"{named(fact)} is not in the source of record, which has never reported the contract"
        return [_broken(BreakKind.MISSING, day, number, detail)]
    if fact.kind is FactKind.CONTRACT_CANCELLED:
        refunds = _refund_breaks(day, current, catalogue, state_rules)
        return [*_cancelled_status(day, fact, current, back_office), *refunds]
    return _active_status(day, fact, current, back_office)


def _cancelled_status(day: date, fact: JournalFact, current: ContractRecord, back_office: str) -> list[Break]:
    # EXPIRED is not CANCELLED either: the exchange refunded a cancellation the back office never recorded
    if current.status is not ContractStatus.CANCELLED or back_office == ContractStatus.CANCELLED.value:
        return []
    detail = f"{named(fact)}: the exchange has it CANCELLED, the source of record {back_office}"
    return [_broken(BreakKind.STATUS_MISMATCH, day, fact.contract_number, detail)]


def _active_status(day: date, fact: JournalFact, current: ContractRecord, back_office: str) -> list[Break]:
    # Only a back-office CANCELLED contradicts an ACTIVE contract. EXPIRED (its term ran out) and SUSPENDED (a hold
    # on claims) are back-office states the exchange does not keep: the contract was not cancelled, so no refund is
    # owed and nothing the exchange sent is wrong; partners hear of them as STATUS_CHANGED facts.
    # A contract the exchange cancelled since is checked against its cancellation's own fact.
    if current.status is not ContractStatus.ACTIVE or back_office != ContractStatus.CANCELLED.value:
        return []
    detail = f"{named(fact)}: the exchange has it ACTIVE, the source of record CANCELLED"
    return [_broken(BreakKind.STATUS_MISMATCH, day, fact.contract_number, detail)]


def _refund_breaks(day: date, current: ContractRecord, catalogue: Catalogue, state_rules: StateRules) -> list[Break]:
    """The refund the exchange sent against the one due with the claims the back office now reports paid."""
    differences = refund_differences(current, catalogue, state_rules)
    if not differences:
        return []
    number = current.contract_number
    detail = (f"{number}: the refund sent differs from the refund due with the claims the source of record reports "
              f"paid ({current.claims_paid:f}): {'; '.join(differences)}")
    return [_broken(BreakKind.AMOUNT_MISMATCH, day, number, detail)]
