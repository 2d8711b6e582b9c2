"""The real-time path as writers in flight: one entry per stream (hub and partition) and process.

A batch registers before it stamps a position (an upsert that replaces its stream's previous entry) and is released
once its facts are in the journal, unless its caller says more events wait (the Event Hub trigger, for a full
batch): the stream's next batch follows at once and its registration replaces the entry, so under load a batch
costs one Table request, not two. If the stream goes quiet right after such a batch, the entry holds delivery back
until it expires (at most WRITER_LIFETIME). A batch
that fails keeps its stamp: the retry (the same events, since the checkpoint did not move) re-appends the failed
batch's facts, so it registers from the older stamp of the two.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from function_app.service_layer.kernel.in_flight import InFlightWriters, register

FULL_BATCH = 100  # host.json eventHubs.maxEventBatchSize: a batch this size says more events wait
PROCESS = uuid.uuid4().hex[:12]  # two instances that both hold a partition for a moment keep apart


class BatchWriters:
    def __init__(self, in_flight: InFlightWriters | None, clock: Callable[[], datetime]) -> None:
        self._in_flight = in_flight
        self._clock = clock
        self._failed: dict[str, datetime] = {}  # stream -> the stamp of its batch that did not commit

    def begin(self, hub: str, partition: str) -> tuple[str, datetime]:
        """Registers the stream's batch; returns the stream's writer id and the stamp it registered."""
        stream = f"{hub}-{partition}-{PROCESS}"
        earlier = self._failed.get(stream)
        now = register(self._in_flight, stream, self._clock, earlier)
        return stream, min(now, earlier or now)

    def committed(self, stream: str, more_waiting: bool) -> None:
        """The batch's facts are in the journal: released, unless the stream's next batch replaces the entry."""
        self._failed.pop(stream, None)
        if not more_waiting and self._in_flight is not None:
            self._in_flight.release(stream)

    def failed(self, stream: str, lowest: datetime) -> None:
        self._failed[stream] = lowest
