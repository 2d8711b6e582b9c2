"""A message as any transport hands it over: the bytes and where they sat in the stream."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

MAX_BODY_BYTES = 256 * 1024


@dataclass(frozen=True)
class InboundMessage:
    hub: str
    body: bytes
    partition: str
    sequence_number: int
    enqueued_time: datetime
    partition_key: str | None = None
    # The message's application properties (AMQP), as the transport decoded them: where a CloudEvent in
    # binary content mode carries its attributes (`cloudEvents_id`, `cloudEvents:source`, ...).
    properties: Mapping[str, object] = field(default_factory=dict, hash=False)

    def position(self, decided_at: datetime | None = None) -> str:
        """Orders journal facts by when they were decided (a backlog decided late sorts late, so partner
        watermarks never pass over it), then by stream position. Stored with the decision, so stable."""
        stamp = (decided_at or self.enqueued_time).astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        return f"{stamp}-{self.hub}-{self.partition:0>4}-{self.sequence_number:020d}"

    def stream_order(self) -> tuple[datetime, str, str, int]:
        return (self.enqueued_time, self.hub, self.partition, self.sequence_number)

    def business_date(self, zone: ZoneInfo) -> date:
        return self.enqueued_time.astimezone(zone).date()

    def body_digest(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


def short_hash(text: str, length: int = 16) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]
