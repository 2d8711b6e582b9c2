"""The work queues on Queue Storage, as operations see them: peeked, never taken."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator

from azure.core.exceptions import ResourceNotFoundError
from azure.storage.queue import QueueServiceClient

from function_app.service_layer.delivery.ports import JobQueues, QueuedJob


def decode(content: str) -> str:
    """The Functions host writes queue messages base64-encoded (host.json `messageEncoding`)."""
    try:
        return base64.b64decode(content, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return content


class StorageJobQueues(JobQueues):
    def __init__(self, service: QueueServiceClient) -> None:
        self._service = service

    def peek(self, queue: str, limit: int = 32) -> Iterator[QueuedJob]:
        client = self._service.get_queue_client(queue)
        try:
            messages = client.peek_messages(max_messages=min(limit, 32))
        except ResourceNotFoundError:
            return
        for message in messages:
            yield QueuedJob(queue, message.id, message.inserted_on, message.dequeue_count or 0,
                            decode(message.content))
