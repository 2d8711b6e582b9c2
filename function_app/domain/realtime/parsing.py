"""One inbound message parsed: its identity (for idempotency and routing) and a valid payload or its reasons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from function_app.domain.change_feed.envelope import read_record
from function_app.domain.change_feed.records import RowChange, SideRecord
from function_app.domain.kernel import bounds
from function_app.domain.kernel.feedback import Reason, ReasonCode
from function_app.domain.kernel.messages import MAX_BODY_BYTES, InboundMessage, short_hash
from function_app.domain.realtime.cloudevents import read_event
from function_app.domain.realtime.envelope import bounded_str, envelope_reasons
from function_app.domain.realtime.payloads import CancellationRequest, ContractSubmission
from function_app.domain.realtime.validation import validate_payload

CHANGE_FEED_HUB = "policy-admin-cdc"
CHANGE_FEED_SOURCE = "urn:fni:policy-admin"
CHANGE_CLOCK_SKEW = timedelta(days=1)  # a change stamped later than its enqueue plus this is refused


@dataclass(frozen=True)
class ParsedEvent:
    """One message after parsing: its identity, and either a valid payload or the reasons it has none."""

    message: InboundMessage
    event_id: str | None
    source: str | None
    event_type: str | None
    subject: str | None
    routing_key: str
    payload: ContractSubmission | CancellationRequest | RowChange | SideRecord | None
    reasons: tuple[Reason, ...]

    def __post_init__(self) -> None:
        """Identity text that is not Unicode scalar values (a lone surrogate from a JSON `\\ud800` escape) can be
        neither hashed, echoed nor stored as UTF-8: the event is then known by its body's digest, and refused."""
        named = {"event_id": self.event_id, "source": self.source, "subject": self.subject,
                 "event_type": self.event_type, "routing_key": self.routing_key}
        broken = [name for name, value in named.items() if value is not None and not _encodable(value)]
        if not broken:
            return
        for name in broken:
            object.__setattr__(self, name, None if name != "routing_key" else "")
        if not self.routing_key:
            object.__setattr__(self, "routing_key", "body:" + self.message.body_digest())
        reason = Reason(ReasonCode.MALFORMED, None, f"{', '.join(broken)} hold text that is not valid Unicode")
        object.__setattr__(self, "payload", None)
        object.__setattr__(self, "reasons", (*self.reasons, reason) if self.reasons else (reason,))

    @property
    def input_key(self) -> str:
        """The idempotency key: `source` + `id`, or the body's digest when the envelope is unreadable."""
        if self.event_id is not None and self.source is not None:
            return f"{self.source}\n{self.event_id}"
        return "body:" + self.message.body_digest()

    @property
    def content_hash(self) -> str:
        assert isinstance(self.payload, ContractSubmission | CancellationRequest)
        return short_hash(self.payload.model_dump_json(), 32)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_UTC = ZoneInfo("UTC")


def parse_message(message: InboundMessage, zone: ZoneInfo = _UTC) -> ParsedEvent:
    """`zone` is the business time zone: no date may lie after the day the message was enqueued there, plus one."""
    if message.hub == CHANGE_FEED_HUB:
        return parse_row_change(message)
    event = read_event(message.body, message.properties, MAX_BODY_BYTES)
    if event.problems and not event.attributes:
        return _parsed(message, {}, event.problems)
    envelope = event.attributes
    reasons = (*event.problems, *envelope_reasons(envelope, message.hub))
    if reasons:
        return _parsed(message, envelope, reasons)
    payload, reasons = validate_payload(envelope, bounds.latest_date(message.business_date(zone)))
    return _parsed(message, envelope, reasons, payload if not reasons else None)


def parse_row_change(message: InboundMessage) -> ParsedEvent:
    """A change-feed message: its identity is the row and its log position, so a redelivery is recognised.
    A side record (tombstone, heartbeat, transaction metadata, schema change) is its payload, with no identity."""
    record = read_record(message.body)
    change, reasons = record.change, record.reasons
    if change is not None and (when := change.time()) and when > message.enqueued_time + CHANGE_CLOCK_SKEW:
        late = (message.enqueued_time + CHANGE_CLOCK_SKEW).isoformat()
        why = f"source.ts_ms {when.isoformat()} is later than the message's enqueued time plus a day ({late})"
        change, reasons = None, (Reason(ReasonCode.DATE_INCONSISTENT, "payload.source.ts_ms", why),)
    if change is None:
        return ParsedEvent(message, None, None, None, None, "", record.side, reasons)
    event_id = f"{change.table}:{change.row_key}@{change.lsn}"
    return ParsedEvent(message, event_id, CHANGE_FEED_SOURCE, change.op.value, change.contract_number,
                       change.contract_number, change, ())


def _parsed(
    message: InboundMessage,
    envelope: dict[str, Any],
    reasons: tuple[Reason, ...],
    payload: ContractSubmission | CancellationRequest | None = None,
) -> ParsedEvent:
    event_id = bounded_str(envelope.get("id"), 128)
    source = bounded_str(envelope.get("source"), 512)
    subject = bounded_str(envelope.get("subject"), 64)
    data = envelope.get("data")
    number = data.get("contract_number") if isinstance(data, dict) else None
    routing = bounded_str(number, 64) or subject or (f"{source}\n{event_id}" if event_id and source else "")
    event_type = bounded_str(envelope.get("type"), 128)
    return ParsedEvent(message, event_id, source, event_type, subject, routing, payload, reasons)
