"""What the exchange holds per contract, and how each event changes it (spec/EVENTS.md rules)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from function_app.domain.change_feed.source_of_record import SourceOfRecord
from function_app.domain.kernel.feedback import Decision, Feedback, Refund
from function_app.domain.kernel.journal import JournalFact
from function_app.domain.realtime.payloads import CancellationRequest, ContractSubmission


class ContractStatus(StrEnum):
    ACTIVE = "ACTIVE"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True)
class HeldRequest:
    """A cancellation that arrived before its contract: decided when the contract comes, or expired."""

    input_key: str
    event_id: str
    source: str
    request: CancellationRequest
    content_hash: str
    received_at: datetime
    position: str
    partition_key: str | None = None  # the request's, so that its answer goes back under it, however late

    def to_json(self) -> dict[str, Any]:
        return {
            "partition_key": self.partition_key,
            "input_key": self.input_key,
            "event_id": self.event_id,
            "source": self.source,
            "request": self.request.model_dump(mode="json"),
            "content_hash": self.content_hash,
            "received_at": self.received_at.isoformat(),
            "position": self.position,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> HeldRequest:
        return cls(
            input_key=raw["input_key"],
            event_id=raw["event_id"],
            source=raw["source"],
            request=CancellationRequest.model_validate(raw["request"]),
            content_hash=raw["content_hash"],
            received_at=datetime.fromisoformat(raw["received_at"]),
            position=raw["position"],
            partition_key=raw.get("partition_key"),  # absent in rows held before keys were kept
        )


@dataclass(frozen=True)
class Cancellation:
    """The accepted cancellation of a contract: the request, who sent it and the refund answered."""

    content_hash: str
    event_id: str
    source: str
    request: CancellationRequest
    refund: Refund
    decided_on: date | None = None  # the business date it was accepted (None: accepted before this was kept)
    refund_due_days: int | None = None  # from the state rule that applied: the refund is owed within these days

    def to_json(self) -> dict[str, Any]:
        return {
            "content_hash": self.content_hash,
            "event_id": self.event_id,
            "source": self.source,
            "request": self.request.model_dump(mode="json"),
            "refund": self.refund.to_json(),
            "decided_on": self.decided_on.isoformat() if self.decided_on else None,
            "refund_due_days": self.refund_due_days,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Cancellation:
        return cls(
            content_hash=raw["content_hash"],
            event_id=raw["event_id"],
            source=raw["source"],
            request=CancellationRequest.model_validate(raw["request"]),
            refund=Refund.from_json(raw["refund"]),
            decided_on=date.fromisoformat(raw["decided_on"]) if raw.get("decided_on") else None,
            refund_due_days=raw.get("refund_due_days"),
        )


@dataclass(frozen=True)
class ContractRecord:
    """One contract as the exchange knows it. `status` None: only held cancellations wait for it."""

    contract_number: str
    status: ContractStatus | None = None
    submission: ContractSubmission | None = None
    revision: int = 0
    content_hash: str = ""
    dealer_code: str = ""
    cancellation: Cancellation | None = None
    held: tuple[HeldRequest, ...] = ()
    source_of_record: SourceOfRecord = field(default_factory=SourceOfRecord)

    @property
    def claims_paid(self) -> Decimal:
        return self.source_of_record.claims_paid

    @classmethod
    def empty(cls, contract_number: str) -> ContractRecord:
        return cls(contract_number)

    @property
    def exists(self) -> bool:
        return self.status is not None

    def without_held(self, keys: Iterable[str]) -> ContractRecord:
        gone = set(keys)
        return replace(self, held=tuple(h for h in self.held if h.input_key not in gone))

    def contract_json(self) -> dict[str, Any] | None:
        """The accepted submission as journal facts carry it (None: the exchange has not seen the contract)."""
        return None if self.submission is None else self.submission.model_dump(mode="json")

    def to_json(self) -> dict[str, Any]:
        return {
            "contract_number": self.contract_number,
            "status": self.status.value if self.status else None,
            "submission": self.contract_json(),
            "revision": self.revision,
            "content_hash": self.content_hash,
            "dealer_code": self.dealer_code,
            "cancellation": self.cancellation.to_json() if self.cancellation else None,
            "held": [h.to_json() for h in self.held],
            "source_of_record": self.source_of_record.to_json(),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ContractRecord:
        status, submission, cancellation = raw.get("status"), raw.get("submission"), raw.get("cancellation")
        return cls(
            contract_number=raw["contract_number"],
            status=ContractStatus(status) if status else None,
            submission=None if submission is None else ContractSubmission.model_validate(submission),
            revision=int(raw.get("revision", 0)),
            content_hash=raw.get("content_hash", ""),
            dealer_code=raw.get("dealer_code", ""),
            cancellation=None if cancellation is None else Cancellation.from_json(cancellation),
            held=tuple(HeldRequest.from_json(h) for h in raw.get("held", [])),
            source_of_record=SourceOfRecord.from_json(raw.get("source_of_record")),
        )


@dataclass(frozen=True)
class EventContext:
    """Where and when an event was decided: the inputs to its journal position and business date."""

    input_key: str
    event_id: str
    source: str
    position: str
    business_date: date
    received_at: datetime
    partition_key: str | None = None  # the input message's, for its answers


@dataclass
class Outcome:
    """The answer to one input: a decision, or None while a cancellation is held."""

    input_key: str
    event_id: str
    source: str
    contract_number: str
    decision: Decision | None
    decided_at: datetime
    facts: list[JournalFact] = field(default_factory=list)
    held: HeldRequest | None = None
    partition_key: str | None = None

    def feedback(self) -> Feedback:
        """What the dealer is answered; an input without an id (unreadable envelope) is answered without subject."""
        assert self.decision is not None, "a held request is answered when it is decided"
        subject = self.contract_number if self.event_id else None
        return Feedback.answering(self.input_key, in_reply_to=self.event_id or None, subject=subject,
                                  decision=self.decision, time=self.decided_at, partition_key=self.partition_key)
