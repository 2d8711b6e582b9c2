"""How reconciliation times and names a journal fact in what it reports."""

from __future__ import annotations

from datetime import UTC, datetime

from function_app.domain.kernel.journal import JournalFact

_STAMP = "%Y%m%dT%H%M%S%fZ"  # how every journal position begins: when the fact was decided
_STAMP_LENGTH = 22


def decided_at(fact: JournalFact) -> datetime:
    """When the exchange decided the fact: the timestamp its position begins with."""
    return datetime.strptime(fact.position[:_STAMP_LENGTH], _STAMP).replace(tzinfo=UTC)


def named(fact: JournalFact) -> str:
    """The fact as a break's detail names it: its contract, its kind and its position."""
    return f"{fact.contract_number} ({fact.kind.value} at {fact.position})"
