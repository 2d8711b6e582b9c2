"""The delivery job queue as operations see it: what waits, and what the host gave up on (the poison queue)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from azure.core.exceptions import ResourceNotFoundError
from azure.storage.queue import QueueServiceClient


@dataclass(frozen=True)
class QueuedJob:
    queue: str
    message_id: str
    inserted_on: datetime | None
    dequeue_count: int
    body: str


def decode(content: str) -> str:
    """The Functions host writes queue messages base64-encoded (host.json `messageEncoding`)."""
    try:
        return base64.b64decode(content, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return content


def peek(service: QueueServiceClient, queue: str, limit: int = 32) -> Iterator[QueuedJob]:
    client = service.get_queue_client(queue)
    try:
        messages = client.peek_messages(max_messages=min(limit, 32))
    except ResourceNotFoundError:
        return
    for message in messages:
        yield QueuedJob(queue, message.id, message.inserted_on, message.dequeue_count or 0, decode(message.content))
