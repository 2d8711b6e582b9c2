"""New-contract events as Event Hub batches, and the table rows the exchange writes for them.

The rows come from running the real service offline -- ``bootstrap`` with the in-memory adapters of
``function_app/adapters/kernel/memory.py`` -- over the very same batches, then laying its records, inbox entries,
identity claims and journal facts out with the Table adapters' own row functions (``adapters/kernel/contract_rows.py``
and ``adapters/kernel/journal_table.py``). Same rows, keys and property sizes as the real run; only the decision
time that journal positions start with is the derivation's own. ``bench.realtime`` compares every row the real path
stores with these (masking that stamp), so the offline derivation and the real run provably agree.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.functions as func
from azure.data.tables import TableClient, UpdateMode

from function_app import bootstrap as composition
from function_app.adapters.kernel.contract_rows import (
    claim_entity,
    claim_partition,
    inbox_entity,
    record_entity,
    record_partition,
)
from function_app.adapters.kernel.journal_table import fact_entity
from function_app.adapters.kernel.memory import MemoryContractStore, MemoryJournal
from function_app.adapters.memory_storage import memory_storage
from function_app.config import Settings
from function_app.entrypoints.eventhub import to_messages
from function_app.service_layer.kernel.ports import InboxEntry
from tests.events import body, contract, eventhub_batch

HUB = "contracts"
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 09:00 in Chicago: all events fall on one business date
TRANSACTION_LIMIT = 100  # operations in one entity-group transaction
Entity = dict[str, Any]
Key = tuple[str, str]
Operation = tuple[Any, ...]


@dataclass(frozen=True)
class EventRows:
    """The four rows one accepted new-contract event writes: record and inbox entry in its contract
    partition, its identity claim in the partition of its `source` + `id`, and its journal fact in the
    partition of its business date."""

    record: Entity
    inbox: Entity
    journal: Entity
    claim: Entity


@dataclass(frozen=True)
class Batch:
    events: list[func.EventHubEvent]
    rows: list[EventRows]  # in the order the service decided them


@dataclass(frozen=True)
class Workload:
    batches: list[Batch]

    @property
    def events(self) -> int:
        return sum(len(b.events) for b in self.batches)

    @property
    def rows(self) -> list[EventRows]:
        return [r for b in self.batches for r in b.rows]

    def slices(self, count: int) -> list[Workload]:
        """Consecutive runs of whole batches, as even as possible."""
        size, extra = divmod(len(self.batches), count)
        bounds = [i * size + min(i, extra) for i in range(count + 1)]
        return [Workload(self.batches[lo:hi]) for lo, hi in itertools.pairwise(bounds) if hi > lo]


def key(entity: Entity) -> Key:
    return entity["PartitionKey"], entity["RowKey"]


def transactions(contracts: TableClient, journal: TableClient,
                 rows: Sequence[EventRows]) -> list[tuple[TableClient, list[Operation]]]:
    """The raw path's writes for these rows, in the fewest transactions: per partition, chunks of 100; create for
    contract rows, upsert for the journal (the service's operation kinds), no reads."""
    by_contract: dict[str, list[Operation]] = defaultdict(list)
    by_journal: dict[str, list[Operation]] = defaultdict(list)
    for row in rows:
        by_contract[row.record["PartitionKey"]] += [("create", row.record), ("create", row.inbox)]
        by_contract[row.claim["PartitionKey"]].append(("create", row.claim))
        by_journal[row.journal["PartitionKey"]].append(("upsert", row.journal, {"mode": UpdateMode.REPLACE}))
    return [
        (table, operations[start : start + TRANSACTION_LIMIT])
        for table, partitions in ((contracts, by_contract), (journal, by_journal))
        for operations in partitions.values()
        for start in range(0, len(operations), TRANSACTION_LIMIT)
    ]


def build_workload(settings: Settings, prefix: str, count: int, batch_size: int, first_sequence: int,
                   at: datetime) -> Workload:
    """`count` submissions of distinct new contracts, numbered `<prefix>0000000000` on."""
    bodies = [body(contract(f"{prefix}{i:010d}")) for i in range(count)]
    batches = [
        eventhub_batch(bodies[start : start + batch_size], first_sequence=first_sequence + start,
                       at=at + timedelta(seconds=start // batch_size))
        for start in range(0, count, batch_size)
    ]
    return Workload(derive(settings, batches))


def derive(settings: Settings, batches: Sequence[list[func.EventHubEvent]]) -> list[Batch]:
    store, journal = MemoryContractStore(), MemoryJournal()
    offline = composition.bootstrap(settings, storage=memory_storage(), contracts=store, journal=journal)
    derived = []
    for events in batches:
        seen = len(store.inbox)
        statuses = offline.realtime.process(to_messages(HUB, events)).statuses
        if statuses != {"ACCEPTED": len(events)}:
            raise SystemExit(f"the workload's events were not all accepted offline: {dict(statuses)}")
        entries = list(store.inbox.values())[seen:]
        derived.append(Batch(events, [_rows(settings, store, entry) for entry in entries]))
    if len(journal.facts) != len(store.inbox):
        raise SystemExit(f"expected one journal fact per event, got {len(journal.facts)} for {len(store.inbox)}")
    return derived


def _rows(settings: Settings, store: MemoryContractStore, entry: InboxEntry) -> EventRows:
    partition = record_partition(entry.routing_key, settings.contract_partitions)
    (fact,) = entry.facts
    record = store.records[entry.routing_key].record
    claim = store.claims[entry.input_key]
    return EventRows(record_entity(partition, entry.routing_key, record), inbox_entity(partition, entry),
                     fact_entity(fact, settings.journal_shards),
                     claim_entity(claim_partition(entry.input_key, settings.contract_partitions), claim))


# A journal position starts with the time its batch was decided (InboundMessage.position): an offline derivation
# and a real run decide at different times, so that stamp -- fixed-length, so sizes still match -- is masked.
_DECISION_STAMP = re.compile(r"\b\d{8}T\d{12}Z(?=-)")


def without_decision_time(entity: Mapping[str, Any]) -> Entity:
    masked = {k: _DECISION_STAMP.sub("<decided>", v) if isinstance(v, str) else v for k, v in entity.items()}
    return {**masked, "claimed_at": "<decided>"} if "claimed_at" in masked else masked
