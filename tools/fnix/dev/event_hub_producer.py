"""The publishing port on azure-eventhub: one `EventHubProducerClient`, a batch per partition key."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from azure.core.exceptions import AzureError
from azure.eventhub import EventData, EventHubProducerClient
from azure.eventhub.exceptions import EventHubError

from fnix.dev.publishing import EventPublisher, PlannedBatch, PublishError

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential


class EventBatch(Protocol):
    """What the adapter uses of `azure.eventhub.EventDataBatch`."""

    max_size_in_bytes: int

    def add(self, event_data: EventData) -> None: ...

    def __len__(self) -> int: ...


class ProducerClient(Protocol):
    """What the adapter uses of `azure.eventhub.EventHubProducerClient` (a fake stands in for it in tests)."""

    def create_batch(self, *, partition_key: str | None = None, max_size_in_bytes: int | None = None) -> EventBatch:
        ...

    def send_batch(self, event_data_batch: Any, **kwargs: Any) -> None: ...

    def close(self) -> None: ...


class EventHubPublisher(EventPublisher):
    """Sends planned batches with `create_batch(partition_key=...)`. The hub's own size limit wins: when a
    batch is full before the plan says so, it is sent and the rest goes into a new one, in order."""

    def __init__(self, client: ProducerClient, hub: str, *, credential: Any = None) -> None:
        self._client = client
        self._hub = hub
        self._credential = credential  # closed with the client when this publisher made it
        self.events_sent = 0
        self.batches_sent = 0
        """Batches as the service saw them: more than planned when the hub's limit was lower."""

    @classmethod
    def from_connection_string(cls, connection_string: str, hub: str) -> EventHubPublisher:
        """A namespace key or the emulator (`...;UseDevelopmentEmulator=true`); `hub` wins over any `EntityPath`.

        Raises ``ValueError`` for a malformed connection string; nothing connects before the first send."""
        client = EventHubProducerClient.from_connection_string(connection_string, eventhub_name=hub)
        return cls(client, hub)

    @classmethod
    def from_namespace(
        cls, namespace: str, hub: str, credential: TokenCredential | None = None
    ) -> EventHubPublisher:
        """`<setting>__fullyQualifiedNamespace`: the caller's Azure identity (managed identity in Azure,
        the developer's `az login` locally) through `DefaultAzureCredential` unless one is given."""
        owned = None
        if credential is None:
            from azure.identity import DefaultAzureCredential

            credential = owned = DefaultAzureCredential()
        host = namespace.strip().removeprefix("sb://").removeprefix("https://").rstrip("/")
        client = EventHubProducerClient(host, hub, credential)
        return cls(client, hub, credential=owned)

    def max_batch_bytes(self) -> int | None:
        """The largest message the hub's link takes (connects to ask)."""
        try:
            return int(self._client.create_batch().max_size_in_bytes)
        except (EventHubError, AzureError) as exc:
            raise PublishError(f"cannot reach hub {self._hub}: {_reason(exc)}") from exc

    def send(self, batch: PlannedBatch) -> None:
        try:
            self._send(batch)
        except (EventHubError, AzureError) as exc:
            raise PublishError(
                f"sending to hub {self._hub} failed after {self.events_sent} event(s) in "
                f"{self.batches_sent} batch(es): {_reason(exc)}"
            ) from exc

    def _send(self, batch: PlannedBatch) -> None:
        key = batch.partition_key
        current = self._client.create_batch(partition_key=key)
        for index, body in enumerate(batch.bodies):
            if _added(current, body):
                continue
            if len(current) == 0:
                raise PublishError(self._too_large(batch, index, current.max_size_in_bytes))
            self._flush(current)  # the hub's limit is below the plan's: send what fits, go on in a new batch
            current = self._client.create_batch(partition_key=key)
            if not _added(current, body):
                raise PublishError(self._too_large(batch, index, current.max_size_in_bytes))
        if len(current):
            self._flush(current)

    def _flush(self, batch: EventBatch) -> None:
        self._client.send_batch(batch)
        self.events_sent += len(batch)
        self.batches_sent += 1

    def _too_large(self, batch: PlannedBatch, index: int, limit: int) -> str:
        where = f"line {batch.lines[index]}" if index < len(batch.lines) else f"event {index + 1} of its batch"
        return (
            f"{where} ({len(batch.bodies[index]):,} bytes) does not fit in a message on hub {self._hub} "
            f"(limit {limit:,} bytes); {self.events_sent} event(s) were sent before it"
        )

    def close(self) -> None:
        try:
            self._client.close()
        finally:
            if self._credential is not None:
                self._credential.close()
                self._credential = None


def _added(batch: EventBatch, body: bytes) -> bool:
    """`EventDataBatch.add` raises `ValueError` when the event would take the batch over its size limit."""
    try:
        batch.add(EventData(body))
    except ValueError:
        return False
    return True


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
