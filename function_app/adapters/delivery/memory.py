"""Partner delivery's storage in memory, with the same semantics as the Azure adapters: feed states, partner
containers (what partners upload there included), the work queues, and no account to sign links with."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import date, datetime

from function_app.adapters.delivery.manifest_json import manifest_bytes
from function_app.domain.delivery.manifest import FileManifest
from function_app.domain.delivery.statuses import FileStatus
from function_app.service_layer.delivery.access import (
    ACK_PREFIX,
    ACK_READ_LIMIT,
    AccessIssuer,
    AckInbox,
    AckLink,
    SasIssuerError,
)
from function_app.service_layer.delivery.ports import (
    BlobTaken,
    BlobWrite,
    DeliveredFile,
    DeliveryStateStore,
    FeedState,
    JobQueues,
    PartnerFileStore,
    Published,
    QueuedJob,
)


class MemoryDeliveryStates(DeliveryStateStore):
    """A file's record is keyed by business date and sequence, as in Table Storage: recording it twice is a
    conflict that writes nothing, like a stale token."""

    def __init__(self) -> None:
        self.states: dict[tuple[str, str], tuple[FeedState, str]] = {}
        self.delivered: dict[tuple[str, str], dict[tuple[date, int], DeliveredFile]] = {}
        self._versions = itertools.count(1)

    def read(self, partner: str, feed: str) -> tuple[FeedState, str | None]:
        found = self.states.get((partner, feed))
        if found is None:
            return FeedState(), None
        return FeedState.from_json(found[0].to_json()), found[1]

    def write(
        self, partner: str, feed: str, state: FeedState, etag: str | None, delivered: DeliveredFile | None = None
    ) -> str | None:
        current = self.states.get((partner, feed))
        records = self.delivered.setdefault((partner, feed), {})
        if (current[1] if current else None) != etag:
            return None
        if delivered is not None and (delivered.business_date, delivered.sequence) in records:
            return None
        token = f"v{next(self._versions)}"
        self.states[(partner, feed)] = (FeedState.from_json(state.to_json()), token)
        if delivered is not None:
            records[(delivered.business_date, delivered.sequence)] = delivered
        return token

    def set_status(self, file: DeliveredFile, status: FileStatus) -> None:
        records = self.delivered.setdefault((file.partner, file.feed), {})
        records[(file.business_date, file.sequence)] = replace(file, status=status)

    def files(self, partner: str, feed: str | None = None) -> list[DeliveredFile]:
        found = [
            f for (p, name), files in self.delivered.items() if p == partner and feed in (None, name)
            for f in files.values()
        ]
        return sorted(found, key=lambda f: (f.business_date, f.feed, f.sequence))


class MemoryPartnerFiles(PartnerFileStore):
    def __init__(self) -> None:
        self.blobs: dict[tuple[str, str], bytes] = {}
        self.versions: dict[tuple[str, str], int] = {}  # bumped by every write through this class, like an ETag

    def prepare(self, partner: str) -> None:
        return None

    def write_data(self, partner: str, name: str, chunks: Iterable[bytes], *, create: bool = False) -> BlobWrite:
        data = b"".join(chunks)
        self._write(partner, name, data, create)
        return BlobWrite(hashlib.sha256(data).hexdigest(), len(data))

    def write_manifest(self, partner: str, name: str, manifest: FileManifest, *, create: bool = False) -> None:
        self._write(partner, name, manifest_bytes(manifest), create)

    def _write(self, partner: str, name: str, data: bytes, create: bool) -> None:
        existing = self.blobs.get((partner, name))
        if create and existing is not None and existing != data:
            raise BlobTaken(f"partner-{partner}/{name}")
        self.put(partner, name, data)

    def put(self, partner: str, name: str, data: bytes) -> None:
        """Any write to the partner's container, the partner's own uploads included."""
        self.blobs[(partner, name)] = data
        self.versions[(partner, name)] = self.versions.get((partner, name), 0) + 1

    def publish(self, partner: str, name: str, data: bytes) -> Published:
        if (partner, name) not in self.blobs:
            self.put(partner, name, data)
            return Published.WRITTEN
        return Published.UNCHANGED if self.blobs[(partner, name)] == data else Published.DIFFERS

    def read(self, partner: str, name: str) -> bytes:
        try:
            return self.blobs[(partner, name)]
        except KeyError as exc:
            raise KeyError(f"partner-{partner}/{name}") from exc

    def names(self, partner: str, prefix: str = "") -> Iterator[str]:
        return iter(sorted(n for p, n in self.blobs if p == partner and n.startswith(prefix)))


class MemoryAckInbox(AckInbox):
    """What partners uploaded under `inbound/ack/` of their containers, shared with memory partner files."""

    def __init__(self, files: MemoryPartnerFiles | None = None) -> None:
        self.files = files or MemoryPartnerFiles()

    def acks(self, partner: str) -> Iterator[tuple[str, bytes]]:
        for name in list(self.files.names(partner, ACK_PREFIX)):
            yield name, self.files.blobs[(partner, name)][:ACK_READ_LIMIT]


class MemoryJobQueues(JobQueues):
    """Queues that tests fill with what the host would have written (bodies already decoded)."""

    def __init__(self) -> None:
        self.queues: dict[str, list[QueuedJob]] = {}

    def peek(self, queue: str, limit: int = 32) -> Iterator[QueuedJob]:
        return iter(self.queues.get(queue, [])[: min(limit, 32)])


class UnsignedAccess(AccessIssuer):
    """Storage in memory has no account to sign a link with: asking for one is an operator's mistake."""

    def read_list_url(self, partner: str, expires_at: datetime) -> str:
        raise SasIssuerError("partner links are signed by Azure Storage; this exchange keeps its files in memory")

    def ack_upload_url(self, partner: str, expires_at: datetime) -> AckLink:
        raise SasIssuerError("partner links are signed by Azure Storage; this exchange keeps its files in memory")
