"""Turns the worker's Event Hub batch into transport-neutral messages and the report into feedback."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import azure.functions as func

from function_app.domain.feedback import encode_feedback
from function_app.domain.messages import InboundMessage


def partition_of(events: Sequence[func.EventHubEvent]) -> str:
    """The worker puts the partition in the batch's shared metadata (`PartitionContext`)."""
    metadata = events[0].metadata if events else None
    context = (metadata or {}).get("PartitionContext") or {}
    return str(context.get("PartitionId", "0"))


def to_messages(hub: str, events: Sequence[func.EventHubEvent]) -> list[InboundMessage]:
    partition = partition_of(events)
    return [
        InboundMessage(
            hub=hub,
            body=event.get_body(),
            partition=partition,
            sequence_number=event.sequence_number or 0,
            enqueued_time=(event.enqueued_time or datetime.now(UTC)).astimezone(UTC),
            partition_key=event.partition_key,
        )
        for event in events
    ]


def decide_batch(hub: str, events: Sequence[func.EventHubEvent]) -> list[str]:
    from function_app.bootstrap import exchange

    report = exchange().realtime.process(to_messages(hub, events))
    return [encode_feedback(fb) for fb in report.feedback]
