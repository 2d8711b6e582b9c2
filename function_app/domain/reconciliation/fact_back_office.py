"""The facts the exchange did not decide itself, against what it holds of them: a back office's change
(STATUS_CHANGED, CLAIM_PAID) against the row the contract's record keeps, a claim filed (CLAIM_SUBMITTED) against
the claims registry.

What can be checked, and what cannot:
- A change fact's event_id names the row and log position it came from (`<table>:<row>@<lsn>`). The record keeps
  each row as last changed, with its position: the row must be there, and not older than the fact. Only while the
  fact's change is still the row's latest does the row give its figures (the status; a claim's number, status,
  paid amount and date); a later change superseded them, and the earlier values are kept nowhere. A STATUS_CHANGED
  fact's `previous_status` is the row before the change: kept nowhere either.
- CLAIM_PAID's `claims_paid` is the total over all the contract's claims at the change: checkable only while no
  row of the contract has changed since.
- The claims registry keeps an accepted claim's origin (file and row) and a hash of its content, not its values:
  a changed column is told by the hash, not named. Its amounts must still add up (labor + parts + tax = total, a
  rule every accepted row obeyed), which names the amount edited alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from function_app.domain.change_feed.records import Lsn
from function_app.domain.change_feed.source_of_record import RowVersion
from function_app.domain.claims.origin import ClaimRecord
from function_app.domain.kernel.journal import FactKind, JournalFact
from function_app.domain.realtime.contracts import ContractRecord
from function_app.domain.reconciliation.fact_figures import Difference, differing
from function_app.domain.reconciliation.model import BreakKind

_ROW = "in the back office's row the exchange holds"
_CLAIM_FIELDS = ("claim_number", "status", "paid_amount", "paid_date")  # what a CLAIM_PAID fact copies of its row
_PARTS = ("labor_amount", "parts_amount", "tax_amount")


def back_office_differences(fact: JournalFact, record: ContractRecord) -> list[Difference]:
    table = "contracts" if fact.kind is FactKind.STATUS_CHANGED else "claims"
    change = _change(fact.event_id, table)
    if change is None or (table == "contracts" and change[0] != fact.contract_number):
        return [Difference("event_id", said=f"event_id names no change of the back office's {table} row")]
    row_key, lsn = change
    state = record.source_of_record
    row = state.contract if table == "contracts" else state.claims.get(row_key)
    if row is None:
        said = f"the back office's {table} row {row_key} is not among those the exchange holds of the contract"
        return [Difference("event_id", said=said, kind=BreakKind.MISSING)]
    if lsn > _position(row):
        return [Difference("event_id", said=f"its change is newer than the back office's {table} row it names")]
    found = [] if lsn < _position(row) else _row_differences(fact, row)
    latest = max(_position(r) for r in (state.contract, *state.claims.values()) if r is not None)
    if fact.kind is FactKind.CLAIM_PAID and lsn >= latest:
        found += differing("claims_paid", fact.data.get("claims_paid"), str(state.claims_paid),
                           "over the back office's rows the exchange holds")
    return found


def _change(event_id: str, table: str) -> tuple[str, Lsn] | None:
    """The row and log position a change fact's event_id names (parsing.py builds it), None when it names none."""
    named, _, rest = event_id.partition(":")
    row_key, _, position = rest.rpartition("@")
    if named != table or not row_key:
        return None
    try:
        return row_key, Lsn.parse(position)
    except ValueError:
        return None


def _position(row: RowVersion) -> Lsn:
    """The row's log position as an event_id spells it (lower case), so that the two compare."""
    return Lsn.parse(str(row.lsn))


def _row_differences(fact: JournalFact, row: RowVersion) -> list[Difference]:
    values: Mapping[str, Any] = row.values or {}
    if fact.kind is FactKind.STATUS_CHANGED:
        back_office = fact.data.get("back_office")
        status = back_office.get("status") if isinstance(back_office, dict) else None
        return differing("back_office.status", status, values.get("status"), _ROW)
    claim = fact.data.get("claim")
    return differing("claim", claim if isinstance(claim, dict) else None,
                     {name: values.get(name) for name in _CLAIM_FIELDS}, _ROW)


def claim_differences(fact: JournalFact, claims: Mapping[tuple[str, str], ClaimRecord] | None) -> list[Difference]:
    claim = fact.data.get("claim")
    if not isinstance(claim, dict):
        return [Difference("claim", said="the fact carries no claim")]
    found = _sum_differences(claim)
    if claims is None:
        return found  # the registry is not at hand: the claim's own amounts are all there is to check
    accepted = claims.get((fact.administrator, str(claim.get("claim_number"))))
    if accepted is None:
        said = f"claim {claim.get('claim_number')} is not in the claims registry of administrator {fact.administrator}"
        return [*found, Difference("claim.claim_number", said=said, kind=BreakKind.MISSING)]
    if str(accepted.origin) != fact.event_id:
        found.append(Difference("event_id", said="event_id is not the file and row the claims registry accepted "
                                                 "the claim from"))
    if claim_hash(claim) != accepted.content_hash:
        found.append(Difference("claim", said="claim: its content is not what the claims registry accepted (which "
                                              "keeps a hash: the column cannot be named)"))
    return found


def claim_hash(claim: Mapping[str, Any]) -> str:
    """The registry's content hash (claims/rows.py `content_hash`) of the claim a fact carries: its row's content,
    without the status the fact adds."""
    content = {k: v for k, v in claim.items() if k != "status"}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _sum_differences(claim: Mapping[str, Any]) -> list[Difference]:
    try:
        parts = sum((Decimal(str(claim[name])) for name in _PARTS), Decimal("0.00"))
        total = Decimal(str(claim["total_amount"]))
    except (KeyError, InvalidOperation):
        return [Difference("claim", said="claim: its amounts do not read as amounts")]
    if parts == total:
        return []
    return [Difference("claim.total_amount", claim["total_amount"], f"{parts:f}", "by labor + parts + tax")]


def claims_named(facts: Iterable[JournalFact]) -> dict[str, set[str]]:
    """The claim numbers the claims filed among `facts` name, by administrator: what to look up in the registry."""
    named: dict[str, set[str]] = {}
    for fact in facts:
        claim = fact.data.get("claim")
        if fact.kind is FactKind.CLAIM_SUBMITTED and isinstance(claim, dict):
            named.setdefault(fact.administrator, set()).add(str(claim.get("claim_number")))
    return named
