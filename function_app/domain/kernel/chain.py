"""The journal of a business date as a hash chain (spec/PARTNER-FILES.md, "Evidence that outlives the exchange's
own tables"): each fact's link covers its content and the link before it, in position order. A manifest quotes
the link at the last position its file covers, and a daily seal the link at the date's last fact, so a fact
edited, removed, inserted or forged afterwards contradicts evidence the exchange's tables do not hold."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any, NamedTuple

from function_app.domain.kernel.journal import JournalFact

CHAIN_VERSION = "fni-journal-chain/1"
LINK_PREFIX = 16  # hex digits of each fact's link and digest a seal keeps: enough to name the fact


def genesis(business_date: date) -> str:
    """The link before a date's first fact: no two dates' chains can be swapped for one another."""
    return hashlib.sha256(f"{CHAIN_VERSION}|{business_date.isoformat()}".encode("ascii")).hexdigest()


def fact_digest(fact: JournalFact) -> str:
    """The fact's content as stored (every field, canonical JSON), hashed."""
    return hashlib.sha256(canonical_json(fact).encode("utf-8")).hexdigest()


_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
# `_CANONICAL`'s C encoder made once, not once a call as `encode` makes it; it keeps no markers (the circular check),
# so a value it cannot encode for nesting is encoded again by `_CANONICAL`, which raises as json.dumps would
_C_ENCODER = None if c_make_encoder is None else c_make_encoder(
    None, _CANONICAL.default, encode_basestring, None, ":", ",", True, False, True
)


def _encoded(value: Any) -> str:
    """`_CANONICAL.encode(value)`."""
    if _C_ENCODER is None or isinstance(value, str):  # `encode` writes a bare text itself
        return _CANONICAL.encode(value)
    try:
        return "".join(_C_ENCODER(value, 0))
    except RecursionError:  # a cycle, or nesting too deep: as `_CANONICAL` says it
        return _CANONICAL.encode(value)


def canonical_json(fact: JournalFact) -> str:
    """`json.dumps(fact.to_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))`, its keys written in
    their sorted order and only `data` through the encoder: a partner file's build digests every fact it reads."""
    try:
        return _canonical_json(fact, encode_basestring)  # raises TypeError on a text field that holds no text
    except TypeError:
        return _canonical_json(fact, _CANONICAL.encode)


def _canonical_json(fact: JournalFact, text: Callable[[Any], str]) -> str:
    value = _encoded
    oem = "null" if fact.oem is None else text(fact.oem)
    revision = str(fact.revision) if type(fact.revision) is int else value(fact.revision)
    return (
        f'{{"administrator":{text(fact.administrator)},"business_date":"{fact.business_date.isoformat()}",'
        f'"contract_number":{text(fact.contract_number)},"data":{value(fact.data)},'
        f'"dealer_code":{text(fact.dealer_code)},"event_id":{text(fact.event_id)},"kind":{value(fact.kind.value)},'
        f'"oem":{oem},"position":{text(fact.position)},"product_type":{text(fact.product_type)},'
        f'"revision":{revision},"source":{text(fact.source)}}}'
    )


def link(previous: str, fact: JournalFact) -> str:
    return chained(previous, fact_digest(fact))


def chained(previous: str, digest: str) -> str:
    return hashlib.sha256(f"{previous}|{digest}".encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Link:
    """A fact's place in its date's chain: its ordinal (1 for the first fact), position and link."""

    ordinal: int
    position: str
    contract_number: str
    value: str
    digest: str  # the fact's own content hash (`fact_digest`)


def links(business_date: date, facts: Iterable[JournalFact]) -> Iterator[Link]:
    """Each fact of the date, in the order given (the journal's position order), with its link."""
    current = genesis(business_date)
    for ordinal, fact in enumerate(facts, start=1):
        if fact.business_date != business_date:
            raise ValueError(f"fact {fact.position} of {fact.business_date} in the chain of {business_date}")
        digest = fact_digest(fact)
        current = chained(current, digest)
        yield Link(ordinal, fact.position, fact.contract_number, current, digest)


@dataclass
class ChainCursor:
    """The chain of one date read forward from a known link (the genesis, or the link a feed's state carried at its
    watermark), so that a file read after a watermark need not re-read its date from the start."""

    value: str

    def advance(self, fact: JournalFact) -> str:
        self.value = link(self.value, fact)
        return self.value


class SealEntry(NamedTuple):
    """One fact as sealed: its position, the start of its link and of its own digest, and its contract. The digest
    names each edited fact even after an earlier one (from which every later link differs); the contract names a
    removed one."""

    position: str
    link: str
    digest: str
    contract_number: str


@dataclass(frozen=True)
class ChainSeal:
    """The chain of a business date as it stood when sealed: its head, and each fact's entry, so that a fact edited,
    removed or inserted since is named even if the tables were rewritten whole."""

    business_date: date
    head: str
    sealed_at: datetime
    entries: tuple[SealEntry, ...] = field(default=())  # every fact, in position order

    @property
    def facts(self) -> int:
        return len(self.entries)

    @property
    def last_position(self) -> str | None:
        return self.entries[-1][0] if self.entries else None

    @classmethod
    def of(cls, business_date: date, facts: Iterable[JournalFact], sealed_at: datetime) -> ChainSeal:
        head, entries = genesis(business_date), []
        for item in links(business_date, facts):
            head = item.value
            entries.append(SealEntry(item.position, item.value[:LINK_PREFIX], item.digest[:LINK_PREFIX],
                                     item.contract_number))
        return cls(business_date, head, sealed_at, tuple(entries))

    def same_chain(self, other: ChainSeal) -> bool:
        """The same facts sealed twice: everything but when."""
        return (self.business_date, self.head, self.entries) == (other.business_date, other.head, other.entries)

    def to_json(self) -> dict[str, Any]:
        return {
            "chain": CHAIN_VERSION,
            "business_date": self.business_date.isoformat(),
            "facts": self.facts,
            "head": self.head,
            "sealed_at": self.sealed_at.isoformat(),
            "entries": [list(entry) for entry in self.entries],
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ChainSeal:
        if raw.get("chain") != CHAIN_VERSION:
            raise ValueError(f"a seal of chain {raw.get('chain')!r}, not {CHAIN_VERSION!r}")
        seal = cls(
            business_date=date.fromisoformat(raw["business_date"]),
            head=raw["head"],
            sealed_at=datetime.fromisoformat(raw["sealed_at"]),
            entries=tuple(SealEntry(*(str(part) for part in entry)) for entry in raw["entries"]),
        )
        if seal.facts != int(raw["facts"]):
            raise ValueError(f"a seal of {seal.business_date} with {seal.facts} entries says {raw['facts']} facts")
        return seal
