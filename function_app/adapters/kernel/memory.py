"""The kernel's storage in memory, with the semantics of the Table and Blob adapters: for tests of orchestration."""

from __future__ import annotations

import itertools
import json
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime

from function_app.domain.kernel.chain import ChainSeal
from function_app.domain.kernel.journal import JournalFact
from function_app.domain.realtime.contracts import ContractRecord
from function_app.domain.reconciliation.refunds_overdue import refund_owed
from function_app.service_layer.kernel.ports import (
    ContractChange,
    ContractStore,
    DeadLetter,
    DeadLetterStore,
    HeldMarker,
    IdentityClaim,
    InboxEntry,
    Journal,
    RenderedFact,
    Snapshot,
    StoredContract,
)
from function_app.service_layer.kernel.seals import SealStore


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

    def read(self, contract_number: str) -> ContractRecord | None:
        stored = self.records.get(contract_number)
        return stored.record if stored else None

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

    def every_record(self) -> Iterator[ContractRecord]:
        return iter([stored.record for stored in self.records.values()])

    def refunds_owed(self) -> Iterator[ContractRecord]:
        return iter([stored.record for stored in self.records.values() if refund_owed(stored.record)])

    def delete(self, routing_keys: Collection[str]) -> None:
        gone = set(routing_keys)
        for key in gone:
            self.records.pop(key, None)
        for routing, input_key in [k for k in self.inbox if k[0] in gone]:
            del self.inbox[(routing, input_key)]


class MemoryJournal(Journal):
    def __init__(self) -> None:
        self.facts: dict[tuple[date, str], JournalFact] = {}
        self.rendered: dict[tuple[date, str], str] = {}  # appended as text: parsed into `facts` when next read

    def append_rendered(self, facts: Sequence[RenderedFact]) -> None:
        """Kept as the text it came as, as storage keeps it (a claims file's facts would otherwise be objects by the
        hundred thousand, which every full collection of the garbage collector walks through)."""
        for fact in facts:
            self.rendered[(fact.business_date, fact.position)] = fact.text

    def _parse_rendered(self) -> None:
        for key, text in self.rendered.items():
            self.facts[key] = JournalFact.from_json(json.loads(text))
        self.rendered.clear()

    def append(self, facts: Sequence[JournalFact]) -> None:
        for fact in facts:
            self.facts[(fact.business_date, fact.position)] = fact

    def read(self, business_date: date, after: str | None = None) -> Iterator[JournalFact]:
        self._parse_rendered()
        for (day, position), fact in sorted(self.facts.items()):
            if day == business_date and (after is None or position > after):
                yield fact

    def dates(self) -> Iterator[date]:
        self._parse_rendered()
        return iter(sorted({day for day, _ in self.facts}))

    def delete_date(self, business_date: date) -> None:
        self._parse_rendered()
        for key in [k for k in self.facts if k[0] == business_date]:
            del self.facts[key]


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


class MemorySeals(SealStore):
    def __init__(self) -> None:
        self.seals: dict[date, ChainSeal] = {}

    def put(self, seal: ChainSeal) -> bool:
        if seal.business_date in self.seals:
            return False
        self.seals[seal.business_date] = seal
        return True

    def get(self, business_date: date) -> ChainSeal | None:
        return self.seals.get(business_date)
