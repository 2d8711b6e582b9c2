"""What the service needs from storage, stated without naming any storage."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, NamedTuple

from function_app.domain.kernel.feedback import Feedback, Reason
from function_app.domain.kernel.journal import JournalFact
from function_app.domain.realtime.contracts import ContractRecord
from function_app.domain.reconciliation.refunds_overdue import refund_owed


class InboxStatus(StrEnum):
    DECIDED = "DECIDED"
    HELD = "HELD"


@dataclass(frozen=True)
class InboxEntry:
    """An input the exchange has seen, with everything its processing emitted (the outbox)."""

    input_key: str
    routing_key: str
    status: InboxStatus
    feedback: tuple[Feedback, ...] = ()
    facts: tuple[JournalFact, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "input_key": self.input_key,
            "routing_key": self.routing_key,
            "status": self.status.value,
            "feedback": [f.to_json() for f in self.feedback],
            "feedback_partition_keys": [f.partition_key for f in self.feedback],
            "facts": [f.to_json() for f in self.facts],
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> InboxEntry:
        return cls(
            input_key=raw["input_key"],
            routing_key=raw["routing_key"],
            status=InboxStatus(raw["status"]),
            feedback=tuple(Feedback.from_json(f, key) for f, key in _keyed(raw)),
            facts=tuple(JournalFact.from_json(f) for f in raw.get("facts", [])),
        )


@dataclass(frozen=True)
class StoredContract:
    """A record as read, with the version token that a write must still match (None: never written)."""

    record: ContractRecord
    etag: str | None = None


@dataclass
class ContractChange:
    """Everything one contract's events change, written atomically or not at all."""

    routing_key: str
    before: StoredContract
    after: ContractRecord
    new_entries: list[InboxEntry] = field(default_factory=list)
    replaced_entries: list[InboxEntry] = field(default_factory=list)

    @property
    def record_changed(self) -> bool:
        return self.after != self.before.record


@dataclass(frozen=True)
class Snapshot:
    contracts: dict[str, StoredContract]
    inbox: dict[str, InboxEntry]


@dataclass(frozen=True)
class HeldMarker:
    routing_key: str
    input_key: str
    received_at: datetime


@dataclass(frozen=True)
class IdentityClaim:
    """Which contract an input (`source` + `id`) was first decided under: where its inbox entry is, whatever
    contract a later message with that identity names. `etag` is the stored version (None: not yet stored)."""

    input_key: str
    routing_key: str
    claimed_at: datetime
    etag: str | None = field(default=None, compare=False)


class ConcurrencyConflict(Exception):
    """Another writer changed a contract first; the caller re-reads and decides again."""


class ContractStore(ABC):
    """Contract records and the inbox of seen inputs, partitioned so that both change in one write."""

    @abstractmethod
    def load(self, routing_keys: Iterable[str], inbox_keys: Mapping[str, str]) -> Snapshot:
        """Records for the routing keys; inbox entries for input keys (mapped to their routing key)."""

    @abstractmethod
    def save(self, changes: Sequence[ContractChange]) -> set[str]:
        """Writes each change atomically; returns the routing keys whose write lost a race."""

    @abstractmethod
    def held_before(self, cutoff: datetime) -> list[HeldMarker]:
        """Held cancellations received before the cutoff."""

    @abstractmethod
    def claim(self, claims: Sequence[IdentityClaim]) -> dict[str, IdentityClaim]:
        """Stores each claim unless one exists for its input key; returns, per input key, the claim that stands."""

    @abstractmethod
    def take_over(self, stale: IdentityClaim, claim: IdentityClaim) -> bool:
        """Replaces `stale` by `claim` if it is still the stored version; False when another writer changed it."""

    def read(self, contract_number: str) -> ContractRecord | None:
        """One contract's record, or None: a single point read, nothing else (the API's one read per request)."""
        stored = self.load([contract_number], {}).contracts.get(contract_number)
        return stored.record if stored else None

    def every_record(self) -> Iterator[ContractRecord]:
        """Every contract record held (for retention: a scan of the whole store)."""
        raise NotImplementedError(f"{type(self).__name__} cannot list its contracts")

    def refunds_owed(self) -> Iterator[ContractRecord]:
        """The cancelled contracts whose refund has a deadline (`refund_due_days`) and that the back office has not
        reported paid (`refund_owed`), whatever their date. An adapter keeps them findable without a scan of every
        record; this fallback scans."""
        return (record for record in self.every_record() if refund_owed(record))

    def delete(self, routing_keys: Collection[str]) -> None:
        """Deletes each contract's record with its inbox entries and held markers. Idempotent: what is gone
        already is left so. Identity claims stay: they hold an input's source and id, nothing personal."""
        raise NotImplementedError(f"{type(self).__name__} cannot delete contracts")


class RenderedFact(NamedTuple):
    """A journal fact as JSON text, exactly `render_fact(fact)`, with what it is stored under."""

    business_date: date
    position: str
    contract_number: str
    text: str


def render_fact(fact: JournalFact) -> str:
    """The one JSON form of a fact that journals store as text (keys sorted, compact, UTF-8 as it is)."""
    return json.dumps(fact.to_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class Journal(ABC):
    @abstractmethod
    def append(self, facts: Sequence[JournalFact]) -> None:
        """Idempotent: a fact written twice is stored once, unchanged."""

    def append_run(self, facts: Sequence[JournalFact]) -> None:
        """Facts of one writer's own range of positions, which no other writer's position can sort into (one
        chunk of one claims file): the adapter may store them as one unit. Idempotent like `append`."""
        self.append(facts)

    def append_rendered(self, facts: Sequence[RenderedFact]) -> None:
        """`append_run` of facts its writer rendered already (a claims chunk: many facts of few contracts, whose
        shared parts are rendered once), for adapters that store facts as JSON text. Read back, each is
        `JournalFact.from_json` of its text. This default parses them back and appends them as a run."""
        self.append_run([JournalFact.from_json(json.loads(fact.text)) for fact in facts])

    @abstractmethod
    def read(self, business_date: date, after: str | None = None) -> Iterator[JournalFact]:
        """Facts of one business date in position order, after the given position."""

    def dates(self) -> Iterator[date]:
        """Every business date with facts, oldest first."""
        raise NotImplementedError(f"{type(self).__name__} cannot list its dates")

    def delete_date(self, business_date: date) -> None:
        """Deletes every fact of the date. Idempotent: a date without facts is left so."""
        raise NotImplementedError(f"{type(self).__name__} cannot delete a date")


@dataclass(frozen=True)
class DeadLetter:
    hub: str
    business_date: date
    name: str
    input_key: str
    event_id: str | None
    source: str | None
    partition: str
    sequence_number: int
    enqueued_time: datetime
    reasons: tuple[Reason, ...]
    body: bytes
    # The transport's metadata, kept so that a replay is the same input: a binary-mode CloudEvent's attributes
    # travel in the application properties, and feedback goes back under the sender's partition key.
    partition_key: str | None = None
    properties: Mapping[str, object] = field(default_factory=dict, hash=False)

    @property
    def blob_name(self) -> str:
        return f"{self.hub}/{self.business_date.isoformat()}/{self.name}.json"


class DeadLetterStore(ABC):
    @abstractmethod
    def put(self, letters: Sequence[DeadLetter]) -> None:
        """Idempotent: the same letter written again leaves one blob."""

    @abstractmethod
    def names(self, prefix: str = "") -> Iterator[str]:
        """Blob names under the prefix, e.g. `contracts/2026-03-02/`."""

    @abstractmethod
    def get(self, blob_name: str) -> DeadLetter:
        """Raises KeyError when there is no such letter."""

    @abstractmethod
    def mark_replayed(self, blob_name: str, outcome: str) -> None:
        """Remembers that an operator replayed the letter and what came of it."""

    @abstractmethod
    def replayed(self, blob_name: str) -> str | None:
        """The outcome of an earlier replay, or None."""


def _keyed(raw: Mapping[str, Any]) -> list[tuple[dict[str, Any], str | None]]:
    """Each stored feedback with the partition key it goes under; entries written before keys were kept: none."""
    feedback = list(raw.get("feedback", []))
    keys = list(raw.get("feedback_partition_keys") or [])
    return list(zip(feedback, keys + [None] * (len(feedback) - len(keys)), strict=False))
