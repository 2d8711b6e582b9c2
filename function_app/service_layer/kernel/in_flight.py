"""Writers of journal facts still in flight, and the delivery bound they leave.

A writer registers (its id, the lowest moment any position it stamps can carry, and when the entry stops counting)
before it stamps its first position, and is released once its facts are committed to the journal. Delivery reads
no fact decided after the oldest live entry, so a fact is delivered seconds after its commit, never passed over by a
watermark while an earlier-stamped fact is still being written. A writer that crashes leaves its entry; it stops
counting at its expiry, the longest an invocation can live, so a dead writer holds delivery back no longer than that.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

# host.json's functionTimeout is 10 minutes; 2 more cover a registration made before the invocation's clock started
WRITER_LIFETIME = timedelta(minutes=12)


@dataclass(frozen=True)
class InFlightWriter:
    writer: str  # unique per writer: a batch's own id, or a claims file's identity
    lowest: datetime  # no position the writer stamps sorts before this moment
    expires_at: datetime  # past it the entry no longer counts (the writer is dead)


class InFlightWriters(ABC):
    """Storage of the writers in flight; every instance of the app sees the same entries."""

    @abstractmethod
    def register(self, writer: InFlightWriter) -> None:
        """Stores the entry, replacing one of the same writer. Returns once stored: only then may it stamp."""

    @abstractmethod
    def release(self, writer: str) -> None:
        """Removes the writer's entry, once its facts are committed. Idempotent."""

    @abstractmethod
    def live(self, now: datetime) -> list[InFlightWriter]:
        """The entries not past their expiry at `now` (an adapter may drop the expired ones it meets)."""

    def lowest(self, now: datetime) -> datetime | None:
        """The oldest moment a live writer may still stamp, or None when no writer is in flight."""
        return min((entry.lowest for entry in self.live(now)), default=None)


def register(in_flight: InFlightWriters | None, writer: str, clock: Callable[[], datetime],
             lowest: datetime | None = None) -> datetime:
    """Registers a writer from now (or from `lowest`, a stamp it stored before) for its lifetime; returns now. A
    writer's clock is read after this returns, so every stamp it takes is at least the one registered."""
    now = clock()
    if in_flight is not None:
        in_flight.register(InFlightWriter(writer, min(now, lowest or now), now + WRITER_LIFETIME))
    return now


def delivery_bound(in_flight: InFlightWriters | None, now: datetime, allowance: timedelta) -> datetime:
    """The latest decision time a file may cover: `now` (read before the entries are), or the oldest stamp still in
    flight if earlier, less `allowance` for clocks of other instances that run behind this one's. Without a
    registry (a tool, a test, with nothing else writing) only the allowance is left."""
    lowest = in_flight.lowest(now) if in_flight is not None else None
    return min(now, lowest or now) - allowance
