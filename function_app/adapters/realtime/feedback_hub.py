"""The feedback port on azure-eventhub: an `EventHubProducerClient`, one batch per partition key.

The Functions output binding cannot set a partition key for Python (Azure/azure-functions-python-worker#654),
so feedback is sent with the SDK, with the host's connection setting (`EventHubConnection`: a connection string
locally, `EventHubConnection__fullyQualifiedNamespace` with the app's managed identity in Azure). The client is
built on the first send and kept for the life of the worker process, as the exchange that holds it is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from function_app.domain.kernel.feedback import Feedback, encode_feedback

if TYPE_CHECKING:
    from azure.eventhub import EventDataBatch, EventHubProducerClient

FEEDBACK_HUB = "dealer-feedback"
SEND_TIMEOUT_SECONDS = 60  # well within the invocation's time: a hub that does not answer fails the batch


class FeedbackTooLarge(ValueError):
    """One feedback event does not fit in a message of the hub (it cannot happen within EVENTS.md's bounds)."""


class EventHubFeedback:
    """Sends each partition key's feedback in batches under that key, in order; feedback without a key goes
    without one (the hub spreads it round robin). Any SDK error propagates: the invocation fails and retries."""

    def __init__(self, connect: Callable[[], EventHubProducerClient]) -> None:
        self._connect = connect
        self._client: EventHubProducerClient | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_connection(cls, connection_string: str | None, namespace: str | None,
                        hub: str = FEEDBACK_HUB, **client_options: Any) -> EventHubFeedback:
        def connect() -> EventHubProducerClient:
            from azure.eventhub import EventHubProducerClient

            if connection_string:
                return EventHubProducerClient.from_connection_string(connection_string, eventhub_name=hub,
                                                                     **client_options)
            if namespace:
                from azure.identity import DefaultAzureCredential

                host = namespace.strip().removeprefix("sb://").rstrip("/")
                return EventHubProducerClient(host, hub, DefaultAzureCredential(), **client_options)
            raise RuntimeError("EventHubConnection (or EventHubConnection__fullyQualifiedNamespace) is not set: "
                               "feedback cannot be sent")

        return cls(connect)

    def send(self, feedback: Sequence[Feedback]) -> None:
        """One send at a time per process: the worker runs invocations in threads, and the SDK does not guarantee
        that a client is thread-safe (its README, "Thread safety")."""
        if not feedback:
            return
        with self._lock:
            self._send(feedback)

    def _send(self, feedback: Sequence[Feedback]) -> None:
        if self._client is None:
            self._client = self._connect()
        client = self._client
        for key, bodies in by_partition_key(feedback).items():
            batch = client.create_batch(partition_key=key)
            for body in bodies:
                if _added(batch, body):
                    continue
                if len(batch) == 0:
                    raise FeedbackTooLarge(f"a feedback event of {len(body):,} bytes exceeds the hub's "
                                           f"{batch.max_size_in_bytes:,}-byte messages")
                client.send_batch(batch, timeout=SEND_TIMEOUT_SECONDS)
                batch = client.create_batch(partition_key=key)
                if not _added(batch, body):
                    raise FeedbackTooLarge(f"a feedback event of {len(body):,} bytes exceeds the hub's "
                                           f"{batch.max_size_in_bytes:,}-byte messages")
            client.send_batch(batch, timeout=SEND_TIMEOUT_SECONDS)

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    @property
    def client(self) -> EventHubProducerClient | None:
        """The client once the first send made it (None before)."""
        return self._client


def by_partition_key(feedback: Sequence[Feedback]) -> dict[str | None, list[bytes]]:
    """Each key's feedback bodies in input order, keys in the order they first answer."""
    grouped: dict[str | None, list[bytes]] = {}
    for fb in feedback:
        grouped.setdefault(fb.partition_key, []).append(encode_feedback(fb).encode("utf-8"))
    return grouped


def _added(batch: EventDataBatch, body: bytes) -> bool:
    """`EventDataBatch.add` raises ValueError when the event would take the batch over the hub's size."""
    from azure.eventhub import EventData

    try:
        batch.add(EventData(body))
    except ValueError:
        return False
    return True
