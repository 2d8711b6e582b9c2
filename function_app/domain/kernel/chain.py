"""The journal of a business date as a hash chain (spec/PARTNER-FILES.md, "Evidence that outlives the exchange's
own tables"): each fact's link covers its content and the link before it, in position order. A manifest quotes
the link at the last position its file covers, and a daily seal the link at the date's last fact, so a fact
edited, removed, inserted or forged afterwards contradicts evidence the exchange's tables do not hold."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from function_app.domain.kernel.journal import JournalFact

CHAIN_VERSION = "fni-journal-chain/1"
CHECKPOINT_EVERY = 1000  # a seal keeps every 1000th link: a rewrite that kept the chain whole is placed within it


def genesis(business_date: date) -> str:
    """The link before a date's first fact: no two dates' chains can be swapped for one another."""
    return hashlib.sha256(f"{CHAIN_VERSION}|{business_date.isoformat()}".encode("ascii")).hexdigest()


def fact_digest(fact: JournalFact) -> str:
    """The fact's content as stored (every field, canonical JSON), hashed."""
    document = json.dumps(fact.to_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def link(previous: str, fact: JournalFact) -> str:
    return hashlib.sha256(f"{previous}|{fact_digest(fact)}".encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Link:
    """A fact's place in its date's chain: its ordinal (1 for the first fact), position and link."""

    ordinal: int
    position: str
    contract_number: str
    value: str


def links(business_date: date, facts: Iterable[JournalFact]) -> Iterator[Link]:
    """Each fact of the date, in the order given (the journal's position order), with its link."""
    current = genesis(business_date)
    for ordinal, fact in enumerate(facts, start=1):
        if fact.business_date != business_date:
            raise ValueError(f"fact {fact.position} of {fact.business_date} in the chain of {business_date}")
        current = link(current, fact)
        yield Link(ordinal, fact.position, fact.contract_number, current)


@dataclass(frozen=True)
class ChainSeal:
    """The chain of a business date as it stood when sealed: its head, how many facts, and checkpoints."""

    business_date: date
    facts: int
    last_position: str | None
    head: str
    sealed_at: datetime
    checkpoints: tuple[tuple[int, str, str], ...] = field(default=())  # (ordinal, position, link)

    @classmethod
    def of(cls, business_date: date, facts: Iterable[JournalFact], sealed_at: datetime) -> ChainSeal:
        count, last, head, checkpoints = 0, None, genesis(business_date), []
        for item in links(business_date, facts):
            count, last, head = item.ordinal, item.position, item.value
            if item.ordinal % CHECKPOINT_EVERY == 0:
                checkpoints.append((item.ordinal, item.position, item.value))
        return cls(business_date, count, last, head, sealed_at, tuple(checkpoints))

    def same_chain(self, other: ChainSeal) -> bool:
        """The same facts sealed twice: everything but when."""
        return (self.business_date, self.facts, self.last_position, self.head, self.checkpoints) == (
            other.business_date, other.facts, other.last_position, other.head, other.checkpoints)

    def to_json(self) -> dict[str, Any]:
        return {
            "chain": CHAIN_VERSION,
            "business_date": self.business_date.isoformat(),
            "facts": self.facts,
            "last_position": self.last_position,
            "head": self.head,
            "sealed_at": self.sealed_at.isoformat(),
            "checkpoints": [{"ordinal": o, "position": p, "link": v} for o, p, v in self.checkpoints],
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ChainSeal:
        if raw.get("chain") != CHAIN_VERSION:
            raise ValueError(f"a seal of chain {raw.get('chain')!r}, not {CHAIN_VERSION!r}")
        return cls(
            business_date=date.fromisoformat(raw["business_date"]),
            facts=int(raw["facts"]),
            last_position=raw["last_position"],
            head=raw["head"],
            sealed_at=datetime.fromisoformat(raw["sealed_at"]),
            checkpoints=tuple((int(c["ordinal"]), c["position"], c["link"]) for c in raw["checkpoints"]),
        )
