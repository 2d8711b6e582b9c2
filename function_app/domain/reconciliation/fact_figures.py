"""What a journal fact's figures differ in from the record they were taken from, and the breaks that say so: money
as AMOUNT_MISMATCH quoting both amounts, any other field as RECORD_MISMATCH naming it and never its values
(disclosure.py), a record that is not there as MISSING. One break per fact and kind, keyed by the fact's contract
and position: stable from run to run, and apart from the source-of-record breaks keyed by the contract alone."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from function_app.domain.kernel.journal import JournalFact
from function_app.domain.reconciliation.journal_facts import named
from function_app.domain.reconciliation.model import Break, BreakKind
from function_app.domain.reconciliation.source_of_record import SOURCE_OF_RECORD

# the amounts a fact's data carries, by path: those partner files carry (delivery/fields.py) and a claim's own
_REFUND = ("gross_refund", "cancellation_fee", "claims_deducted", "customer_refund", "provider_refund",
           "dealer_chargeback")
_CLAIM = ("paid_amount", "labor_amount", "parts_amount", "tax_amount", "total_amount")
MONEY_PATHS = frozenset({"contract.pricing.retail_price", "contract.pricing.dealer_cost", "claims_paid",
                         *(f"refund.{name}" for name in _REFUND), *(f"claim.{name}" for name in _CLAIM)})
_AMOUNT = re.compile(r"-?[0-9]{1,18}(\.[0-9]{1,6})?")  # only what reads as an amount is quoted, even in money


@dataclass(frozen=True)
class Difference:
    """One field of a fact against its record: `said` overrides the standard sentence; `kind` the kind the
    field's path gives (money or not)."""

    path: str
    journal: Any = None
    record: Any = None
    against: str = "in the exchange's record"
    said: str = ""
    kind: BreakKind | None = None

    @property
    def break_kind(self) -> BreakKind:
        if self.kind is not None:
            return self.kind
        return BreakKind.AMOUNT_MISMATCH if self.path in MONEY_PATHS else BreakKind.RECORD_MISMATCH

    def sentence(self) -> str:
        if self.said:
            return self.said
        if self.break_kind is BreakKind.AMOUNT_MISMATCH:
            return f"{self.path} {_quoted(self.journal)} in the journal, {_quoted(self.record)} {self.against}"
        return f"{self.path} differs from the value {self.against}"


def _quoted(value: Any) -> str:
    if value is None:
        return "(none)"
    text = str(value)
    return repr(text) if not isinstance(value, bool) and _AMOUNT.fullmatch(text) else "(not an amount)"


def differing(path: str, journal: Any, record: Any, against: str = "in the exchange's record") -> list[Difference]:
    """Each leaf of two JSON values that differs, by dotted path (a key on one side only differs from None)."""
    if journal == record:
        return []
    if isinstance(journal, Mapping) and isinstance(record, Mapping):
        return [d for key in sorted({*journal, *record}, key=str)
                for d in differing(f"{path}.{key}", journal.get(key), record.get(key), against)]
    return [Difference(path, journal, record, against)]


def fact_breaks(day: date, fact: JournalFact, differences: Iterable[Difference]) -> list[Break]:
    """One break per kind for the fact, each naming every field of that kind that differs."""
    by_kind: dict[BreakKind, list[str]] = {}
    for difference in differences:
        said = by_kind.setdefault(difference.break_kind, [])
        if difference.sentence() not in said:
            said.append(difference.sentence())
    key = fact_key(fact)
    return [Break(kind, day, SOURCE_OF_RECORD, key, fact.contract_number, f"{named(fact)}: {'; '.join(said)}")
            for kind, said in by_kind.items()]


def fact_key(fact: JournalFact) -> str:
    return f"{fact.contract_number}@{fact.position}"

