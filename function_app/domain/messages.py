"""A message as any transport hands it over: the bytes and where they sat in the stream."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
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

    def position(self) -> str:
        """Orders facts: enqueued time first, then the stream position, so it is stable on redelivery."""
        stamp = self.enqueued_time.strftime("%Y%m%dT%H%M%S%fZ")
        return f"{stamp}-{self.hub}-{self.partition:0>4}-{self.sequence_number:020d}"

    def business_date(self, zone: ZoneInfo) -> date:
        return self.enqueued_time.astimezone(zone).date()

    def body_digest(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


def short_hash(text: str, length: int = 16) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]
