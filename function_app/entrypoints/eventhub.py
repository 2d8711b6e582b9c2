"""Turns the worker's Event Hub batch into transport-neutral messages and the report into feedback.

What the worker hands over for `cardinality=many` (azure.functions' EventHubTriggerConverter): one event per
body; `sequence_number`, `partition_key` and `enqueued_time` taken from the host's `SystemPropertiesArray`;
and on every event the batch's shared trigger metadata (`PartitionContext`, `PropertiesArray`, ...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import azure.functions as func

from function_app.domain.kernel.messages import InboundMessage

if TYPE_CHECKING:
    from function_app.bootstrap import Exchange
    from function_app.service_layer.realtime.report import BatchReport

AMQP_CONTENT_TYPE = "content-type"  # the AMQP properties section's name, as the .NET client's system properties keep it


def partition_of(events: Sequence[func.EventHubEvent]) -> str:
    """The worker puts the partition in the batch's shared metadata (`PartitionContext`)."""
    context = _metadata(events).get("PartitionContext") or {}
    return str(context.get("PartitionId", "0")) if isinstance(context, dict) else "0"


def enqueued_utc(event: func.EventHubEvent) -> datetime:
    """The host sends `EnqueuedTimeUtc` as a .NET DateTime of unspecified kind ("2026-03-02T15:04:05.123", no
    offset), which azure.functions parses as a naive datetime. It is UTC: reading it in the machine's zone
    would move a dead letter's enqueued time, and the business date, by that zone's offset."""
    stamp = event.enqueued_time
    if stamp is None:
        return datetime.now(UTC)
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def application_properties(events: Sequence[func.EventHubEvent]) -> list[Mapping[str, object]]:
    """Each event's AMQP application properties, from the host's `PropertiesArray` (one object per event, in
    batch order), plus the AMQP `content-type`, which the host passes with the system properties
    (`SystemPropertiesArray`): a binary-mode CloudEvent declares its `datacontenttype` there."""
    metadata = _metadata(events)
    return [
        {**_content_type(system), **application}
        for application, system in zip(_per_event(metadata, "PropertiesArray", len(events)),
                                       _per_event(metadata, "SystemPropertiesArray", len(events)), strict=True)
    ]


def _content_type(system: Mapping[str, object]) -> dict[str, object]:
    value = system.get(AMQP_CONTENT_TYPE)
    return {AMQP_CONTENT_TYPE: value} if isinstance(value, str) and value else {}


def to_messages(hub: str, events: Sequence[func.EventHubEvent]) -> list[InboundMessage]:
    partition = partition_of(events)
    return [
        InboundMessage(
            hub=hub,
            body=event.get_body(),
            partition=partition,
            sequence_number=event.sequence_number or 0,
            enqueued_time=enqueued_utc(event),
            partition_key=event.partition_key,
            properties=properties,
        )
        for event, properties in zip(events, application_properties(events), strict=True)
    ]


def decide_batch(hub: str, events: Sequence[func.EventHubEvent]) -> BatchReport:
    from function_app.bootstrap import exchange

    return answer_batch(exchange(), hub, events)


def apply_batch(hub: str, events: Sequence[func.EventHubEvent]) -> BatchReport:
    """A batch decided and not answered: the change feed's rows come from the back office, which reads no feedback."""
    from function_app.bootstrap import exchange

    return _decide(exchange(), hub, events)


def answer_batch(current: Exchange, hub: str, events: Sequence[func.EventHubEvent]) -> BatchReport:
    """One batch decided by the given exchange and answered: each feedback sent under the partition key of the
    message it answers (the worker's `partition_key`, from the host's `SystemPropertiesArray`). A failed send
    fails the invocation: the batch comes again and is answered again with the same feedback ids."""
    report = _decide(current, hub, events)
    current.feedback.send(report.feedback)
    return report


def _decide(current: Exchange, hub: str, events: Sequence[func.EventHubEvent]) -> BatchReport:
    from function_app.service_layer.realtime.writers import FULL_BATCH

    # a full batch says more events wait: the next batch's registration in flight replaces this one's
    return current.realtime.process(to_messages(hub, events), more_waiting=len(events) >= FULL_BATCH)


def _metadata(events: Sequence[func.EventHubEvent]) -> Mapping[str, Any]:
    metadata = events[0].metadata if events else None
    return metadata or {}


def _per_event(metadata: Mapping[str, Any], name: str, count: int) -> list[Mapping[str, object]]:
    """One of the host's per-event arrays of objects; an event the array does not describe gets {}."""
    listed = metadata.get(name)
    found = listed if isinstance(listed, list) and len(listed) == count else [None] * count
    return [item if isinstance(item, dict) else {} for item in found]
