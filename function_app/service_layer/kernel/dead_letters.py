"""Dead letters: a rejected input kept whole, with where it came from and why it was refused."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from function_app.domain.kernel.feedback import Reason
from function_app.domain.realtime.contracts import HeldRequest, Outcome
from function_app.domain.realtime.envelope import CANCEL_REQUESTED
from function_app.domain.realtime.parsing import ParsedEvent
from function_app.service_layer.kernel.ports import DeadLetter

READABLE_CHARS = 64


def letter_name(event_id: str | None, input_key: str) -> str:
    """`<id, made safe>.<digest of the input's identity>`: one letter per rejected input. The readable part may
    collapse (`bad#1` and `bad_1` read alike); the 128-bit digest of `source` + `id` (or of the body, for an
    unreadable envelope) never does in practice, so no letter overwrites another input's."""
    digest = hashlib.sha256(input_key.encode("utf-8")).hexdigest()[:32]
    if event_id is None:
        return f"body-{digest}"
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in event_id[:READABLE_CHARS])
    return f"{safe}.{digest}"


def event_letter(event: ParsedEvent, reasons: Sequence[Reason], zone: ZoneInfo) -> DeadLetter:
    message = event.message
    return DeadLetter(
        hub=message.hub,
        business_date=message.business_date(zone),
        name=letter_name(event.event_id, event.input_key),
        input_key=event.input_key,
        event_id=event.event_id,
        source=event.source,
        partition=message.partition,
        sequence_number=message.sequence_number,
        enqueued_time=message.enqueued_time,
        reasons=tuple(reasons),
        body=message.body,
        partition_key=message.partition_key,
        properties=dict(message.properties),
    )


def held_letter(held: HeldRequest, reasons: Sequence[Reason], zone: ZoneInfo) -> DeadLetter:
    """A held cancellation refused later: its body is rebuilt from the request the exchange kept."""
    _stamp, hub, partition, sequence = held.position.rsplit("-", 3)
    body = json.dumps(
        {
            "specversion": "1.0",
            "id": held.event_id,
            "source": held.source,
            "type": CANCEL_REQUESTED,
            "time": held.received_at.isoformat(),
            "subject": held.request.contract_number,
            "data": held.request.model_dump(mode="json"),
        },
        ensure_ascii=False,
    ).encode("utf-8")
    return DeadLetter(
        hub=hub,
        business_date=held.received_at.astimezone(zone).date(),
        name=letter_name(held.event_id, held.input_key),
        input_key=held.input_key,
        event_id=held.event_id,
        source=held.source,
        partition=partition.strip(),
        sequence_number=int(sequence),
        enqueued_time=held.received_at,
        reasons=tuple(reasons),
        body=body,
    )


def outcome_letter(outcome: Outcome, event: ParsedEvent | None, zone: ZoneInfo) -> DeadLetter:
    assert outcome.decision is not None
    reasons = outcome.decision.reasons
    if event is not None:
        return event_letter(event, reasons, zone)
    assert outcome.held is not None, "a decision without its input must come from a held request"
    return held_letter(outcome.held, reasons, zone)
