"""Reason codes and the feedback every decided event gets (spec/EVENTS.md, "Feedback")."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

FEEDBACK_SOURCE = "urn:fni:exchange"
FEEDBACK_TYPE = "fni.feedback.v1"


class ReasonCode(StrEnum):
    MALFORMED = "MALFORMED"
    SCHEMA_INVALID = "SCHEMA_INVALID"
    VIN_INVALID = "VIN_INVALID"
    DATE_INCONSISTENT = "DATE_INCONSISTENT"
    PRICE_INCONSISTENT = "PRICE_INCONSISTENT"
    UNKNOWN_TYPE = "UNKNOWN_TYPE"
    REVISION_CONFLICT = "REVISION_CONFLICT"
    STALE_REVISION = "STALE_REVISION"
    NOT_AUTHORIZED = "NOT_AUTHORIZED"
    ALREADY_CANCELLED = "ALREADY_CANCELLED"
    CONTRACT_NOT_FOUND = "CONTRACT_NOT_FOUND"
    TABLE_TRUNCATED = "TABLE_TRUNCATED"  # change feed only: a truncate is not applied row by row (EVENTS.md)


class Status(StrEnum):
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    DUPLICATE = "DUPLICATE"


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    field: str | None
    message: str

    def to_json(self) -> dict[str, str | None]:
        return {"code": self.code.value, "field": self.field, "message": self.message}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Reason:
        return cls(ReasonCode(raw["code"]), raw.get("field"), str(raw["message"]))


@dataclass(frozen=True)
class Decision:
    """What the exchange answers to one input event."""

    status: Status
    reasons: tuple[Reason, ...] = ()
    refund: dict[str, Any] | None = field(default=None)

    @classmethod
    def accepted(cls, refund: dict[str, Any] | None = None) -> Decision:
        return cls(Status.ACCEPTED, (), refund)

    @classmethod
    def duplicate(cls) -> Decision:
        return cls(Status.DUPLICATE)

    @classmethod
    def rejected(cls, *reasons: Reason) -> Decision:
        return cls(Status.REJECTED, tuple(reasons))

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.status.value, "reasons": [r.to_json() for r in self.reasons]}
        if self.refund is not None:
            body["refund"] = self.refund
        return body

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Decision:
        reasons = tuple(Reason.from_json(r) for r in raw.get("reasons", []))
        return cls(Status(raw["status"]), reasons, raw.get("refund"))


def feedback_id(input_key: str) -> str:
    """Derived from the input's identity, so a redelivery is answered with the very same id."""
    return "fb-" + hashlib.sha256(input_key.encode("utf-8")).hexdigest()[:32]


def feedback_event(
    *, input_key: str, in_reply_to: str | None, subject: str | None, decision: Decision, time: str
) -> dict[str, Any]:
    """The CloudEvent sent to `dealer-feedback` for one decided input."""
    data: dict[str, Any] = {"in_reply_to": in_reply_to, **decision.to_json()}
    event: dict[str, Any] = {
        "specversion": "1.0",
        "id": feedback_id(input_key),
        "source": FEEDBACK_SOURCE,
        "type": FEEDBACK_TYPE,
        "time": time,
        "datacontenttype": "application/json",
        "data": data,
    }
    if subject:
        event["subject"] = subject
    return event


def encode_feedback(event: dict[str, Any]) -> str:
    """One canonical text per feedback event, so a re-sent answer is byte-for-byte the first one."""
    return json.dumps(event, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
