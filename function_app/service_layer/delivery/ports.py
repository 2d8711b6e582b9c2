"""What partner delivery needs from storage: feed state beside its delivery records, and partner containers."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from function_app.domain.delivery.manifest import FileManifest
from function_app.domain.delivery.statuses import FileStatus


@dataclass(frozen=True)
class FileClaim:
    """A file being written: its name and exactly which journal positions it covers, per business date."""

    business_date: date
    sequence: int
    blob_name: str
    ranges: dict[str, tuple[str, str]]  # business date -> (after position, up to position)
    claimed_at: datetime
    # business date -> the journal chain's link at its `after` position, as the feed's state carried it; a date
    # without one is read from its start (a resend, a state from before the chain)
    chain_from: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "business_date": self.business_date.isoformat(),
            "sequence": self.sequence,
            "blob_name": self.blob_name,
            "ranges": {day: list(span) for day, span in sorted(self.ranges.items())},
            "claimed_at": self.claimed_at.isoformat(),
            "chain_from": dict(sorted(self.chain_from.items())),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> FileClaim:
        ranges = {day: (span[0], span[1]) for day, span in raw["ranges"].items()}
        claimed_at = datetime.fromisoformat(raw["claimed_at"])
        return cls(date.fromisoformat(raw["business_date"]), int(raw["sequence"]), raw["blob_name"], ranges, claimed_at,
                   dict(raw.get("chain_from", {})))


@dataclass
class FeedState:
    """Per partner feed: how far each business date's journal was delivered, and the file in flight, if any."""

    watermarks: dict[str, str] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)
    pending: FileClaim | None = None
    last_cut_at: datetime | None = None
    chains: dict[str, str] = field(default_factory=dict)  # business date -> the journal chain's link at its watermark

    def to_json(self) -> dict[str, Any]:
        return {
            "watermarks": dict(sorted(self.watermarks.items())),
            "sequences": dict(sorted(self.sequences.items())),
            "pending": self.pending.to_json() if self.pending else None,
            "last_cut_at": self.last_cut_at.isoformat() if self.last_cut_at else None,
            "chains": dict(sorted(self.chains.items())),
        }

    def completed(self, chains: dict[str, str] | None = None) -> FeedState:
        """The state once its pending file is recorded: each date's watermark advanced to the end of its range, with
        the chain's link there (`chains`, as the file's build computed it; a date without one forgets its link)."""
        claim = self.pending
        if claim is None:
            return self
        ends = chains or {}
        return replace(
            self,
            pending=None,
            watermarks={**self.watermarks, **{day: upto for day, (_, upto) in claim.ranges.items()}},
            sequences={**self.sequences, claim.business_date.isoformat(): claim.sequence},
            last_cut_at=claim.claimed_at,
            chains={**{d: v for d, v in self.chains.items() if d not in claim.ranges}, **ends},
        )

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> FeedState:
        pending = raw.get("pending")
        cut = raw.get("last_cut_at")
        return cls(
            watermarks=dict(raw.get("watermarks", {})),
            sequences={k: int(v) for k, v in raw.get("sequences", {}).items()},
            pending=FileClaim.from_json(pending) if pending else None,
            last_cut_at=datetime.fromisoformat(cut) if cut else None,
            chains=dict(raw.get("chains", {})),
        )


@dataclass(frozen=True)
class DeliveredFile:
    partner: str
    feed: str
    business_date: date
    sequence: int
    blob_name: str
    record_count: int
    bytes: int
    sha256: str
    control_totals: dict[str, str]
    created_at: datetime
    status: FileStatus = FileStatus.DELIVERED
    ranges: dict[str, tuple[str, str]] = field(default_factory=dict)  # business date -> journal positions covered

    def to_json(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "feed": self.feed,
            "business_date": self.business_date.isoformat(),
            "sequence": self.sequence,
            "blob_name": self.blob_name,
            "record_count": self.record_count,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "control_totals": self.control_totals,
            "created_at": self.created_at.isoformat(),
            "status": self.status.value,
            "ranges": {day: list(span) for day, span in sorted(self.ranges.items())},
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> DeliveredFile:
        return cls(
            partner=raw["partner"],
            feed=raw["feed"],
            business_date=date.fromisoformat(raw["business_date"]),
            sequence=int(raw["sequence"]),
            blob_name=raw["blob_name"],
            record_count=int(raw["record_count"]),
            bytes=int(raw["bytes"]),
            sha256=raw["sha256"],
            control_totals=dict(raw["control_totals"]),
            created_at=datetime.fromisoformat(raw["created_at"]),
            status=FileStatus(raw.get("status", FileStatus.DELIVERED)),
            ranges={day: (span[0], span[1]) for day, span in raw.get("ranges", {}).items()},
        )

    def covers(self, business_date: str, position: str) -> bool:
        span = self.ranges.get(business_date)
        return span is not None and span[0] < position <= span[1]


class DeliveryStateStore(ABC):
    """Feed state and the feed's delivery records share a partition, so a file's completion is one write."""

    @abstractmethod
    def read(self, partner: str, feed: str) -> tuple[FeedState, str | None]:
        """The state and its version token (None when never written)."""

    @abstractmethod
    def write(self, partner: str, feed: str, state: FeedState, etag: str | None,
              delivered: DeliveredFile | None = None) -> str | None:
        """Writes the state (and the file's record) if the token still matches; the new token, or None if not."""

    @abstractmethod
    def files(self, partner: str, feed: str | None = None) -> list[DeliveredFile]:
        """Delivery records of a partner, oldest first."""

    @abstractmethod
    def set_status(self, file: DeliveredFile, status: FileStatus) -> None:
        """Records what became of a delivered file (ACKNOWLEDGED, ACK_MISMATCH)."""


@dataclass(frozen=True)
class BlobWrite:
    sha256: str
    bytes: int


class BlobTaken(Exception):
    """A blob the exchange was to create holds other bytes already: nothing is written over it."""


class Published(StrEnum):
    WRITTEN = "written"
    UNCHANGED = "unchanged"  # the very same bytes were there already
    DIFFERS = "differs"  # other bytes are there: left as they are


class PartnerFileStore(ABC):
    """Each partner's own container: `partner-<id>`."""

    @abstractmethod
    def prepare(self, partner: str) -> None:
        """Makes sure the partner's container exists (a link to it works before the first file)."""

    @abstractmethod
    def write_data(self, partner: str, name: str, chunks: Iterable[bytes], *, create: bool = False) -> BlobWrite:
        """Streams the chunks into one blob, committed whole at the end. With `create`, only where no blob is (or
        one of the very same bytes, a rerun's): BlobTaken, and nothing written, when the name holds other bytes."""

    @abstractmethod
    def write_manifest(self, partner: str, name: str, manifest: FileManifest, *, create: bool = False) -> None:
        """The manifest beside the data file; written after it, so partners only see complete files. `create` as
        for `write_data`."""

    @abstractmethod
    def publish(self, partner: str, name: str, data: bytes) -> Published:
        """Writes a document (a feed's layout) once: never over a blob already there, whatever it holds."""

    @abstractmethod
    def read(self, partner: str, name: str) -> bytes:
        """Raises KeyError when there is no such blob."""

    @abstractmethod
    def names(self, partner: str, prefix: str = "") -> Iterator[str]:
        """Blob names in the partner's container."""


@dataclass(frozen=True)
class QueuedJob:
    queue: str
    message_id: str
    inserted_on: datetime | None
    dequeue_count: int
    body: str


class JobQueues(ABC):
    """The work queues as operations see them: what waits, and what the host gave up on (the poison queues)."""

    @abstractmethod
    def peek(self, queue: str, limit: int = 32) -> Iterator[QueuedJob]:
        """Up to `limit` (at most 32) messages at the head of the queue, bodies decoded; none if it does not exist."""
