"""In-memory storage with the same semantics as the Azure adapters: for unit tests of orchestration."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from function_app.domain.kernel.journal import JournalFact
from function_app.domain.reconciliation.model import Break
from function_app.domain.reconciliation.runs import BreakStatus
from function_app.service_layer.delivery.access import (
    ACK_PREFIX,
    ACK_READ_LIMIT,
    AccessIssuer,
    AckInbox,
    AckLink,
    SasIssuerError,
)
from function_app.service_layer.delivery.ports import (
    BlobWrite,
    DeliveredFile,
    DeliveryStateStore,
    FeedState,
    JobQueues,
    PartnerFileStore,
    Published,
    QueuedJob,
)
from function_app.service_layer.kernel.ports import (
    ContractChange,
    ContractStore,
    DeadLetter,
    DeadLetterStore,
    HeldMarker,
    IdentityClaim,
    InboxEntry,
    Journal,
    Snapshot,
    StoredContract,
)
from function_app.service_layer.reconciliation.ports import BreakStore, ReportStore


class MemoryContractStore(ContractStore):
    """Inbox entries are kept per contract, as in Table Storage: an entry is found only where its key says."""

    def __init__(self) -> None:
        self.records: dict[str, StoredContract] = {}
        self.inbox: dict[tuple[str, str], InboxEntry] = {}  # by (routing key, input key)
        self.claims: dict[str, IdentityClaim] = {}
        self._versions = itertools.count(1)

    def load(self, routing_keys: Iterable[str], inbox_keys: Mapping[str, str]) -> Snapshot:
        contracts = {k: self.records[k] for k in routing_keys if k in self.records}
        found = {k: self.inbox.get((routing, k)) for k, routing in inbox_keys.items()}
        return Snapshot(contracts, {k: entry for k, entry in found.items() if entry is not None})

    def claim(self, claims: Sequence[IdentityClaim]) -> dict[str, IdentityClaim]:
        for claim in claims:
            if claim.input_key not in self.claims:
                self.claims[claim.input_key] = replace(claim, etag=f"v{next(self._versions)}")
        return {c.input_key: self.claims[c.input_key] for c in claims}

    def take_over(self, stale: IdentityClaim, claim: IdentityClaim) -> bool:
        current = self.claims.get(stale.input_key)
        if current is None or current.etag != stale.etag:
            return False
        self.claims[claim.input_key] = replace(claim, etag=f"v{next(self._versions)}")
        return True

    def save(self, changes: Sequence[ContractChange]) -> set[str]:
        lost = {c.routing_key for c in changes if not self._applicable(c)}
        for change in changes:
            if change.routing_key not in lost:
                self._apply(change)
        return lost

    def _applicable(self, change: ContractChange) -> bool:
        current = self.records.get(change.routing_key)
        if (change.record_changed or change.before.etag) and (current.etag if current else None) != change.before.etag:
            return False
        return not any((change.routing_key, e.input_key) in self.inbox for e in change.new_entries)

    def _apply(self, change: ContractChange) -> None:
        if change.record_changed:
            self.records[change.routing_key] = StoredContract(change.after, f"v{next(self._versions)}")
        for entry in [*change.new_entries, *change.replaced_entries]:
            self.inbox[(change.routing_key, entry.input_key)] = entry

    def held_before(self, cutoff: datetime) -> list[HeldMarker]:
        markers = [
            HeldMarker(key, held.input_key, held.received_at)
            for key, stored in self.records.items()
            for held in stored.record.held
            if held.received_at < cutoff
        ]
        return sorted(markers, key=lambda m: (m.received_at, m.input_key))


class MemoryJournal(Journal):
    def __init__(self) -> None:
        self.facts: dict[tuple[date, str], JournalFact] = {}

    def append(self, facts: Sequence[JournalFact]) -> None:
        for fact in facts:
            self.facts[(fact.business_date, fact.position)] = fact

    def read(self, business_date: date, after: str | None = None) -> Iterator[JournalFact]:
        for (day, position), fact in sorted(self.facts.items()):
            if day == business_date and (after is None or position > after):
                yield fact


class MemoryDeadLetters(DeadLetterStore):
    def __init__(self) -> None:
        self.letters: dict[str, DeadLetter] = {}
        self.replays: dict[str, str] = {}

    def put(self, letters: Sequence[DeadLetter]) -> None:
        for letter in letters:
            self.letters[letter.blob_name] = letter

    def names(self, prefix: str = "") -> Iterator[str]:
        return iter(sorted(n for n in self.letters if n.startswith(prefix)))

    def get(self, blob_name: str) -> DeadLetter:
        return self.letters[blob_name]

    def mark_replayed(self, blob_name: str, outcome: str) -> None:
        self.replays[blob_name] = outcome

    def replayed(self, blob_name: str) -> str | None:
        return self.replays.get(blob_name)


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

    def set_status(self, file: DeliveredFile, status: str) -> None:
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

    def write_data(self, partner: str, name: str, chunks: Iterable[bytes]) -> BlobWrite:
        data = b"".join(chunks)
        self.put(partner, name, data)
        return BlobWrite(hashlib.sha256(data).hexdigest(), len(data))

    def write_manifest(self, partner: str, name: str, document: dict[str, Any]) -> None:
        text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"  # the bytes Azure stores
        self.put(partner, name, text.encode("utf-8"))

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


class MemoryBreaks(BreakStore):
    def __init__(self) -> None:
        self.rows: dict[tuple[date, str], tuple[Break, BreakStatus]] = {}

    def open_breaks(self, business_date: date) -> list[Break]:
        rows = sorted(self.rows.items())
        return [b for (day, _), (b, status) in rows if day == business_date and status is BreakStatus.OPEN]

    def record(self, business_date: date, found: Sequence[Break], resolved: Sequence[Break], at: datetime) -> None:
        for item in found:
            self.rows[(business_date, item.identity)] = (item, BreakStatus.OPEN)
        for item in resolved:
            self.rows[(business_date, item.identity)] = (item, BreakStatus.RESOLVED)


class MemoryReports(ReportStore):
    def __init__(self) -> None:
        self.reports: dict[str, tuple[bytes, str]] = {}

    def write(self, name: str, data: bytes, content_type: str) -> str:
        self.reports[name] = (data, content_type)
        return f"reports/{name}"


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
