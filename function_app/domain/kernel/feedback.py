"""Reason codes and the feedback every decided event gets (spec/EVENTS.md, "Feedback")."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from function_app.domain.kernel.catalogue import RefundMethod
from function_app.domain.kernel.money import money_str

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


class Payee(StrEnum):
    CUSTOMER = "CUSTOMER"
    LIENHOLDER = "LIENHOLDER"


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
class Refund:
    """The feedback's `refund` object (spec/REFUNDS.md): each figure as the dealer reads it, rounded once."""

    method: RefundMethod
    unearned_fraction: Decimal  # six places
    days_used: int
    miles_used: int | None
    gross_refund: Decimal
    cancellation_fee: Decimal
    claims_deducted: Decimal
    customer_refund: Decimal
    provider_refund: Decimal
    dealer_chargeback: Decimal
    payee: Payee
    state_rule: str | None = None  # the state whose rules applied (REFUNDS.md "State rules"), or None

    def to_json(self) -> dict[str, str | int | None]:
        return {
            "method": self.method.value,
            "unearned_fraction": f"{self.unearned_fraction:f}",
            "days_used": self.days_used,
            "miles_used": self.miles_used,
            "gross_refund": money_str(self.gross_refund),
            "cancellation_fee": money_str(self.cancellation_fee),
            "claims_deducted": money_str(self.claims_deducted),
            "customer_refund": money_str(self.customer_refund),
            "provider_refund": money_str(self.provider_refund),
            "dealer_chargeback": money_str(self.dealer_chargeback),
            "payee": self.payee.value,
            "state_rule": self.state_rule,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Refund:
        miles = raw["miles_used"]
        return cls(
            method=RefundMethod(raw["method"]),
            unearned_fraction=Decimal(raw["unearned_fraction"]),
            days_used=int(raw["days_used"]),
            miles_used=None if miles is None else int(miles),
            gross_refund=Decimal(raw["gross_refund"]),
            cancellation_fee=Decimal(raw["cancellation_fee"]),
            claims_deducted=Decimal(raw["claims_deducted"]),
            customer_refund=Decimal(raw["customer_refund"]),
            provider_refund=Decimal(raw["provider_refund"]),
            dealer_chargeback=Decimal(raw["dealer_chargeback"]),
            payee=Payee(raw["payee"]),
            state_rule=raw.get("state_rule"),
        )


@dataclass(frozen=True)
class Decision:
    """What the exchange answers to one input event."""

    status: Status
    reasons: tuple[Reason, ...] = ()
    refund: Refund | None = None

    @classmethod
    def accepted(cls, refund: Refund | None = None) -> Decision:
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
            body["refund"] = self.refund.to_json()
        return body

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Decision:
        reasons = tuple(Reason.from_json(r) for r in raw.get("reasons", []))
        refund = raw.get("refund")
        return cls(Status(raw["status"]), reasons, None if refund is None else Refund.from_json(refund))


def feedback_id(input_key: str) -> str:
    """Derived from the input's identity, so a redelivery is answered with the very same id."""
    return "fb-" + hashlib.sha256(input_key.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Feedback:
    """The CloudEvent sent to `dealer-feedback` for one decided input."""

    id: str
    time: datetime
    in_reply_to: str | None
    subject: str | None
    decision: Decision
    # Not part of the event: the Event Hubs partition key it is sent under, the one of the message it answers
    # (EVENTS.md "Feedback"; a lender's: its lienholder code), None when that message had none.
    partition_key: str | None = None

    @classmethod
    def answering(
        cls, input_key: str, *, in_reply_to: str | None, subject: str | None, decision: Decision, time: datetime,
        partition_key: str | None = None,
    ) -> Feedback:
        return cls(feedback_id(input_key), time.astimezone(UTC), in_reply_to, subject, decision, partition_key)

    def to_json(self) -> dict[str, Any]:
        event: dict[str, Any] = {
            "specversion": "1.0",
            "id": self.id,
            "source": FEEDBACK_SOURCE,
            "type": FEEDBACK_TYPE,
            "time": self.time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "datacontenttype": "application/json",
            "data": {"in_reply_to": self.in_reply_to, **self.decision.to_json()},
        }
        if self.subject:
            event["subject"] = self.subject
        return event

    @classmethod
    def from_json(cls, raw: dict[str, Any], partition_key: str | None = None) -> Feedback:
        data = raw["data"]
        return cls(raw["id"], datetime.fromisoformat(raw["time"]), data["in_reply_to"], raw.get("subject"),
                   Decision.from_json(data), partition_key)


def encode_feedback(feedback: Feedback) -> str:
    """One canonical text per feedback event, so a re-sent answer is byte-for-byte the first one."""
    return json.dumps(feedback.to_json(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
