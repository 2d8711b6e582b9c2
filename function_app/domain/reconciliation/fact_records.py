"""Every journal fact of a date against the record it was taken from: the exchange's record of its contract (the
submission at the fact's revision, the cancellation and its refund), the back office's rows that record holds,
and the claims registry. A fact forged into the journal, or edited there (with the partner files or on a contract
no feed carries), no longer agrees with them.

The exchange writes a contract's record before the facts decided with it (RealtimeService, ClaimsIntake), so
every fact has its record by the time it can be read, and no grace period applies. What is checked, per kind:
- every fact: its contract has a record; when the fact is at the record's current revision, the contract it
  carries (every field, the pricing as money) and its dealer, product type, OEM and administrator equal the
  record's. A fact of an earlier revision was superseded (the record keeps the latest submission only): it is
  checked only for not being newer than the record.
- CONTRACT_CANCELLED: the record is cancelled by this very event, with this request and this refund.
- STATUS_CHANGED, CLAIM_PAID: fact_back_office.py (the row change the fact names, when it is still the latest).
- CLAIM_SUBMITTED: fact_back_office.py (the claims registry, and the claim's own amounts).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from function_app.domain.claims.origin import ClaimRecord
from function_app.domain.kernel.journal import FactKind, JournalFact
from function_app.domain.realtime.contracts import ContractRecord, ContractStatus
from function_app.domain.reconciliation.fact_back_office import back_office_differences, claim_differences
from function_app.domain.reconciliation.fact_figures import Difference, differing, fact_breaks, fact_key
from function_app.domain.reconciliation.journal_facts import named
from function_app.domain.reconciliation.model import Break, BreakKind
from function_app.domain.reconciliation.runs import distinct
from function_app.domain.reconciliation.source_of_record import SOURCE_OF_RECORD

# facts of the exchange's own decisions: their contract must be one the exchange accepted
_DECIDED = frozenset({FactKind.CONTRACT_ACCEPTED, FactKind.CONTRACT_REVISED, FactKind.CONTRACT_CANCELLED,
                      FactKind.CLAIM_SUBMITTED})
Claims = Mapping[tuple[str, str], ClaimRecord]  # accepted claims by (administrator, claim number)


def compare_facts(
    *, business_date: date, facts: Sequence[JournalFact], records: Mapping[str, ContractRecord],
    claims: Claims | None,
) -> tuple[Break, ...]:
    """Each fact of the date against its contract's record (`records`, by contract number) and, for a claim filed,
    the claims registry (`claims`; None: not available, not checked)."""
    return distinct([*(b for fact in facts
                       for b in fact_breaks(business_date, fact, _differences(fact, records.get(fact.contract_number),
                                                                              claims))),
                     *_copies(business_date, facts)])


def _copies(business_date: date, facts: Sequence[JournalFact]) -> list[Break]:
    """A fact the journal holds twice under two positions: each decision, back-office change or claim row gives
    one fact of a kind, so a second with the same kind, contract, revision, source and event is a copy that
    agrees with every record (a forged twin, which a partner would receive twice)."""
    first: dict[tuple[str, str, int, str, str], JournalFact] = {}
    found = []
    for fact in facts:
        original = first.setdefault((fact.kind, fact.contract_number, fact.revision, fact.source, fact.event_id), fact)
        if original is not fact:
            detail = f"{named(fact)}: a copy of the fact at {original.position} (the same event decided once)"
            found.append(Break(BreakKind.DUPLICATE, business_date, SOURCE_OF_RECORD, fact_key(fact),
                               fact.contract_number, detail))
    return found


def _differences(fact: JournalFact, record: ContractRecord | None, claims: Claims | None) -> list[Difference]:
    if record is None:
        said = "the exchange holds no record of its contract (a fact forged, or its contract's record removed)"
        return [Difference("contract_number", said=said, kind=BreakKind.MISSING)]
    if fact.kind in _DECIDED and not record.exists:
        said = "the exchange never accepted its contract (its record holds no submission)"
        return [Difference("contract_number", said=said, kind=BreakKind.MISSING)]
    found = _contract_differences(fact, record)
    if fact.kind is FactKind.CONTRACT_CANCELLED:
        found += _cancellation_differences(fact, record)
    elif fact.kind in (FactKind.STATUS_CHANGED, FactKind.CLAIM_PAID):
        found += back_office_differences(fact, record)
    elif fact.kind is FactKind.CLAIM_SUBMITTED:
        found += claim_differences(fact, claims)
    return found


def _contract_differences(fact: JournalFact, record: ContractRecord) -> list[Difference]:
    if fact.revision > record.revision:
        said = f"revision {fact.revision} is newer than the exchange's record (revision {record.revision})"
        return [Difference("revision", said=said)]
    if fact.revision < record.revision:
        return []  # a later revision superseded it: the record no longer holds this one
    submission = record.submission
    found = differing("contract", fact.data.get("contract"), record.contract_json())
    headers = {
        "dealer_code": (fact.dealer_code, record.dealer_code),
        "product_type": (fact.product_type, submission.product.type.value if submission else ""),
        "oem": (fact.oem, submission.oem if submission else None),
        "administrator": (fact.administrator, submission.administrator if submission else ""),
    }
    return found + [Difference(name) for name, (journal, kept) in headers.items() if journal != kept]


def _cancellation_differences(fact: JournalFact, record: ContractRecord) -> list[Difference]:
    cancellation = record.cancellation
    if record.status is not ContractStatus.CANCELLED or cancellation is None:
        return [Difference("status", said="the exchange's record has the contract not cancelled")]
    found = [] if cancellation.event_id == fact.event_id else [
        Difference("event_id", said="event_id: the exchange's record holds the cancellation of another event")]
    found += differing("cancellation", fact.data.get("cancellation"), cancellation.request.model_dump(mode="json"))
    return found + differing("refund", fact.data.get("refund"), cancellation.refund.to_json())
