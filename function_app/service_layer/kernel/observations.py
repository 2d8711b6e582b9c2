"""What a decided batch tells operations: a span per decision with the identifiers to follow one contract,
counts by hub, status and reason, dead letters, batch sizes and the lag from enqueue to decision."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from function_app import telemetry
from function_app.domain.kernel.feedback import Feedback
from function_app.domain.realtime.parsing import ParsedEvent

if TYPE_CHECKING:
    from function_app.service_layer.realtime.report import BatchReport


def observe_batch(parsed: list[ParsedEvent], report: BatchReport, now: datetime) -> None:
    if not parsed:
        return
    hub = parsed[0].message.hub
    telemetry.batch_size.record(len(parsed), {"hub": hub})
    telemetry.dead_letters.add(len(report.dead_letters), {"hub": hub})
    for event, feedback in report.answers:
        _observe_decision(hub, event, feedback, now)
    telemetry.log.info(
        "decided %d event(s) on %s partition %s: %s",
        len(parsed), hub, parsed[0].message.partition, dict(report.statuses),
        extra={"fni.hub": hub, "fni.partition": parsed[0].message.partition,
               "fni.first_sequence": parsed[0].message.sequence_number, "fni.dead_letters": len(report.dead_letters)},
    )


def observe_skipped(hub: str, skipped: Mapping[str, int]) -> None:
    """Change-feed side records (tombstones, heartbeats, transaction metadata, schema changes), by kind."""
    for kind, count in sorted(skipped.items()):
        telemetry.side_records.add(count, {"hub": hub, "kind": kind})


def _observe_decision(hub: str, event: ParsedEvent, feedback: Feedback | None, now: datetime) -> None:
    message = event.message
    status = feedback.decision.status.value if feedback else "HELD"
    reasons = [r.code.value for r in feedback.decision.reasons] if feedback else []
    attributes = {
        "fni.hub": hub, "fni.contract_number": event.routing_key or None, "fni.event_id": event.event_id,
        "fni.source": event.source, "fni.partition": message.partition, "fni.sequence_number": message.sequence_number,
        "fni.status": status, "fni.reasons": ",".join(reasons) or None,
        "fni.feedback_id": feedback.id if feedback else None,
    }
    with telemetry.span("fni.decide", **attributes):
        pass
    primary = {"reason": reasons[0]} if reasons else {}  # one count per event; its first reason names it
    telemetry.events.add(1, {"hub": hub, "status": status} | primary)
    telemetry.lag.record(max((now - message.enqueued_time).total_seconds(), 0.0), {"hub": hub})
