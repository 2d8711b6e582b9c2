"""Contract records, the inbox and the journal in Azure Table Storage.

Contracts are spread over a fixed number of partitions (`b00`..`bNN`, by a hash of the contract number),
so one batch's writes for many contracts travel as a few entity-group transactions, and a contract's
record, its inbox entries and its held-cancellation markers share a partition and change atomically.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, TableEntity, TableServiceClient, TableTransactionError, UpdateMode

from function_app.adapters.kernel.overlap import prefetched
from function_app.domain.kernel import bounds
from function_app.domain.kernel.journal import FactKind, JournalFact
from function_app.domain.realtime.contracts import ContractRecord
from function_app.service_layer.kernel.ports import (
    ContractChange,
    ContractStore,
    HeldMarker,
    IdentityClaim,
    InboxEntry,
    Journal,
    Snapshot,
    StoredContract,
)

TRANSACTION_LIMIT = bounds.TABLE_TRANSACTION_ENTITIES
QUERY_COMPARISONS = 14  # Table service filters allow 15 comparisons; one is the PartitionKey
CONFLICT_CODES = {"EntityAlreadyExists", "UpdateConditionNotSatisfied", "ResourceNotFound"}
Operation = tuple[Any, ...]


def ensure_table(service: TableServiceClient, name: str) -> TableClient:
    with contextlib.suppress(ResourceExistsError):
        service.create_table(name)
    return service.get_table_client(name)


def odata_quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _query_keys(table: TableClient, partition: str, row_keys: Sequence[str]) -> Iterator[TableEntity]:
    for start in range(0, len(row_keys), QUERY_COMPARISONS):
        chunk = row_keys[start : start + QUERY_COMPARISONS]
        rows = " or ".join(f"RowKey eq {odata_quote(k)}" for k in chunk)
        yield from table.query_entities(f"PartitionKey eq {odata_quote(partition)} and ({rows})")


class TableContractStore(ContractStore):
    """Records and inbox entries in partitions `bNN` by contract; identity claims in partitions `iNN` by a
    digest of `source` + `id`, so that an input is found whatever contract a later message names."""

    def __init__(self, table: TableClient, partitions: int) -> None:
        self._table = table
        self._partitions = partitions

    def partition_of(self, routing_key: str) -> str:
        return f"b{_bucket(routing_key, self._partitions):02d}"

    def claim_partition_of(self, input_key: str) -> str:
        return f"i{_bucket(input_key, self._partitions):02d}"

    def claim(self, claims: Sequence[IdentityClaim]) -> dict[str, IdentityClaim]:
        by_partition: dict[str, dict[str, IdentityClaim]] = defaultdict(dict)
        for item in claims:
            by_partition[self.claim_partition_of(item.input_key)][_claim_row(item.input_key)] = item
        standing: dict[str, IdentityClaim] = {}
        for partition, rows in by_partition.items():
            keys = sorted(rows)
            for start in range(0, len(keys), TRANSACTION_LIMIT):
                chunk = {key: rows[key] for key in keys[start : start + TRANSACTION_LIMIT]}
                standing.update(self._claim_chunk(partition, chunk))
        return standing

    def _claim_chunk(self, partition: str, rows: dict[str, IdentityClaim]) -> dict[str, IdentityClaim]:
        """Creates the claims in one transaction; when one exists already, reads the chunk's and creates the rest."""
        standing: dict[str, IdentityClaim] = {}
        while rows:
            try:
                results = self._table.submit_transaction(
                    [("create", _claim_entity(partition, c)) for c in rows.values()]
                )
            except TableTransactionError as exc:
                if getattr(exc, "error_code", None) != "EntityAlreadyExists":
                    raise
                for entity in _query_keys(self._table, partition, sorted(rows)):
                    found = _claim_from(entity)
                    standing[found.input_key] = found
                    rows.pop(entity["RowKey"], None)
                continue
            for created, result in zip(rows.values(), results, strict=True):
                standing[created.input_key] = replace(created, etag=result.get("etag"))
            break
        return standing

    def take_over(self, stale: IdentityClaim, claim: IdentityClaim) -> bool:
        entity = _claim_entity(self.claim_partition_of(claim.input_key), claim)
        try:
            self._table.update_entity(entity, mode=UpdateMode.REPLACE, etag=stale.etag,
                                      match_condition=MatchConditions.IfNotModified)
        except (ResourceModifiedError, ResourceNotFoundError):
            return False
        return True

    def load(self, routing_keys: Iterable[str], inbox_keys: Mapping[str, str]) -> Snapshot:
        wanted: dict[str, list[str]] = defaultdict(list)
        for key in routing_keys:
            wanted[self.partition_of(key)].append(_record_row(key))
        for input_key, routing_key in inbox_keys.items():
            wanted[self.partition_of(routing_key)].append(_inbox_row(input_key))
        contracts: dict[str, StoredContract] = {}
        inbox: dict[str, InboxEntry] = {}
        for partition, rows in wanted.items():
            for entity in _query_keys(self._table, partition, sorted(set(rows))):
                if entity["RowKey"].startswith("k|"):
                    record = ContractRecord.from_json(_json_property(entity, "record"))
                    contracts[record.contract_number] = StoredContract(record, entity.metadata["etag"])
                else:
                    entry = InboxEntry.from_json(_json_property(entity, "entry"))
                    inbox[entry.input_key] = entry
        return Snapshot(contracts, inbox)

    def save(self, changes: Sequence[ContractChange]) -> set[str]:
        by_partition: dict[str, list[ContractChange]] = defaultdict(list)
        for change in changes:
            by_partition[self.partition_of(change.routing_key)].append(change)
        lost: set[str] = set()
        for partition, group in by_partition.items():
            for chunk in _chunks(partition, group):
                lost.update(self._submit(chunk))
        return lost

    def _submit(self, chunk: list[tuple[ContractChange, list[Operation]]]) -> set[str]:
        """Submits a transaction; a change that conflicts is left out and the rest submitted again."""
        lost: set[str] = set()
        while chunk:
            operations = [op for _, ops in chunk for op in ops]
            if not operations:
                break
            try:
                self._table.submit_transaction(operations)
                break
            except TableTransactionError as exc:
                if getattr(exc, "error_code", None) not in CONFLICT_CODES:
                    raise
                culprit = _owner(chunk, exc.index)
                lost.add(chunk[culprit][0].routing_key)
                chunk = chunk[:culprit] + chunk[culprit + 1 :]
        return lost

    def held_before(self, cutoff: datetime) -> list[HeldMarker]:
        upper = "h|" + cutoff.isoformat()
        markers = []
        for index in range(self._partitions):
            query = f"PartitionKey eq 'b{index:02d}' and RowKey ge 'h|' and RowKey lt {odata_quote(upper)}"
            for entity in self._table.query_entities(query):
                received = datetime.fromisoformat(entity["received_at"])
                markers.append(HeldMarker(entity["routing_key"], entity["input_key"], received))
        return sorted(markers, key=lambda m: (m.received_at, m.input_key))


def _owner(chunk: list[tuple[ContractChange, list[Operation]]], index: int) -> int:
    """Which change the failed operation belongs to."""
    seen = 0
    for position, (_, ops) in enumerate(chunk):
        seen += len(ops)
        if index < seen:
            return position
    return 0


def _record_row(routing_key: str) -> str:
    return "k|" + routing_key


def _inbox_row(input_key: str) -> str:
    return "e|" + hashlib.sha256(input_key.encode("utf-8")).hexdigest()[:40]


def _bucket(key: str, buckets: int) -> int:
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:4], "big") % buckets


def _claim_row(input_key: str) -> str:
    return "i|" + hashlib.sha256(input_key.encode("utf-8")).hexdigest()[:40]


def _claim_entity(partition: str, claim: IdentityClaim) -> dict[str, Any]:
    return {
        "PartitionKey": partition,
        "RowKey": _claim_row(claim.input_key),
        "input_key": claim.input_key,
        "routing_key": claim.routing_key,
        "claimed_at": claim.claimed_at.isoformat(),
    }


def _claim_from(entity: TableEntity) -> IdentityClaim:
    claimed_at = datetime.fromisoformat(entity["claimed_at"])
    return IdentityClaim(entity["input_key"], entity["routing_key"], claimed_at, entity.metadata["etag"])


STRING_PROPERTY_BYTES = bounds.TABLE_PROPERTY_BYTES - 1024  # measured in UTF-16; some room to spare
TRANSACTION_BYTES = bounds.TABLE_TRANSACTION_BYTES * 3 // 4  # a chunk's properties, leaving room for the envelope


def _json_properties(name: str, document: object) -> dict[str, Any]:
    """A document as one String property, or, when it is larger than one may hold, compressed in binary pieces
    of 64 KiB (`<name>_z00`...): a contract with its ten released cancellations stays one entity."""
    text = json.dumps(document, ensure_ascii=False, sort_keys=True)
    if len(text.encode("utf-16-le", "surrogatepass")) <= STRING_PROPERTY_BYTES:
        return {name: text}
    payload = zlib.compress(text.encode("utf-8", "surrogatepass"), 6)
    pieces = range(0, len(payload), PACK_PIECE_BYTES)
    if len(pieces) > PACK_PIECES:
        raise ValueError(f"{name} is too large to store in one entity ({len(payload)} bytes compressed)")
    return {f"{name}_z{index:02d}": payload[start : start + PACK_PIECE_BYTES] for index, start in enumerate(pieces)}


def _json_property(entity: Mapping[str, Any], name: str) -> Any:
    if name in entity:
        return json.loads(entity[name])
    pieces = sorted(key for key in entity if key.startswith(f"{name}_z"))
    return json.loads(zlib.decompress(b"".join(bytes(entity[key]) for key in pieces)))


def _weight(operations: list[Operation]) -> int:
    """Roughly the bytes the operations' properties add to a transaction's body."""
    return sum(len(value) * 2 for op in operations for value in op[1].values() if isinstance(value, str | bytes))


def _held_row(routing_key: str, input_key: str, received_at: datetime) -> str:
    return f"h|{received_at.isoformat()}|{routing_key}|{_inbox_row(input_key)[2:]}"


def _chunks(
    partition: str, changes: list[ContractChange]
) -> Iterator[list[tuple[ContractChange, list[Operation]]]]:
    """Packs whole changes into transactions of at most 100 operations; a change is never split."""
    chunk: list[tuple[ContractChange, list[Operation]]] = []
    size = weight = 0
    for change in changes:
        ops = _operations(partition, change)
        if len(ops) > TRANSACTION_LIMIT or _weight(ops) > TRANSACTION_BYTES:
            raise ValueError(f"contract {change.routing_key} needs {len(ops)} writes in one transaction")
        if chunk and (size + len(ops) > TRANSACTION_LIMIT or weight + _weight(ops) > TRANSACTION_BYTES):
            yield chunk
            chunk, size, weight = [], 0, 0
        chunk.append((change, ops))
        size += len(ops)
        weight += _weight(ops)
    if chunk:
        yield chunk


def _operations(partition: str, change: ContractChange) -> list[Operation]:
    ops: list[Operation] = []
    before = change.before
    decided = change.new_entries or change.replaced_entries
    if change.record_changed or (before.etag and decided):  # the guard: decisions were made on this version
        entity = {
            "PartitionKey": partition,
            "RowKey": _record_row(change.routing_key),
            **_json_properties("record", change.after.to_json()),
            "status": change.after.status.value if change.after.status else "",
        }
        if before.etag is None:
            ops.append(("create", entity))
        else:
            guard = {"mode": UpdateMode.REPLACE, "etag": before.etag, "match_condition": MatchConditions.IfNotModified}
            ops.append(("update", entity, guard))
    ops.extend(_held_operations(partition, change))
    for entry in change.new_entries:
        ops.append(("create", _inbox_entity(partition, entry)))
    for entry in change.replaced_entries:
        ops.append(("upsert", _inbox_entity(partition, entry), {"mode": UpdateMode.REPLACE}))
    return ops


def _held_operations(partition: str, change: ContractChange) -> list[Operation]:
    """Markers index held cancellations by arrival time, so the expiry timer reads a key range."""
    old = {h.input_key: h for h in change.before.record.held}
    new = {h.input_key: h for h in change.after.held}
    ops: list[Operation] = []
    for key in old.keys() - new.keys():
        row = _held_row(change.routing_key, key, old[key].received_at)
        ops.append(("delete", {"PartitionKey": partition, "RowKey": row}))
    for key in new.keys() - old.keys():
        held = new[key]
        entity = {
            "PartitionKey": partition,
            "RowKey": _held_row(change.routing_key, key, held.received_at),
            "routing_key": change.routing_key,
            "input_key": key,
            "received_at": held.received_at.isoformat(),
        }
        ops.append(("upsert", entity, {"mode": UpdateMode.REPLACE}))
    return ops


def _inbox_entity(partition: str, entry: InboxEntry) -> dict[str, Any]:
    return {
        "PartitionKey": partition,
        "RowKey": _inbox_row(entry.input_key),
        **_json_properties("entry", entry.to_json()),
        "status": entry.status.value,
    }


class TableJournal(Journal):
    """One partition per business date, rows keyed by position: a date reads as one ordered range.

    A run of facts (`append_run`) is stored as packs: one entity holding many facts, compressed, keyed by the
    position of its last fact, so that a range query from any position still finds the pack that holds the
    facts after it. Table Storage serves a partition at about 2,000 entities a second, so a claims file of a
    million rows written fact by fact would hold up every other writer of that date for minutes.
    """

    def __init__(self, table: TableClient) -> None:
        self._table = table

    def append(self, facts: Sequence[JournalFact]) -> None:
        for rows in _by_date(facts).values():
            for start in range(0, len(rows), TRANSACTION_LIMIT):
                chunk = rows[start : start + TRANSACTION_LIMIT]
                self._table.submit_transaction(
                    [("upsert", fact_entity(f), {"mode": UpdateMode.REPLACE}) for f in chunk]
                )

    def append_run(self, facts: Sequence[JournalFact]) -> None:
        for rows in _by_date(facts).values():
            for entity in _packs(rows):
                self._table.upsert_entity(entity, mode=UpdateMode.REPLACE)

    def read(self, business_date: date, after: str | None = None) -> Iterator[JournalFact]:
        query = f"PartitionKey eq {odata_quote(business_date.isoformat())}"
        if after is not None:
            query += f" and RowKey gt {odata_quote(after)}"
        pages = self._table.query_entities(query, results_per_page=1000).by_page()
        last = after or ""
        for entity in prefetched(pages):
            for fact in _unpacked(entity) if PACK_COUNT in entity else [_fact_from_entity(entity)]:
                if fact.position <= last:
                    if after is not None and fact.position <= after:
                        continue  # the earlier facts of the pack that holds the watermark
                    raise RuntimeError(
                        f"journal {business_date}: fact {fact.position} stored after {last}; "
                        "a run of facts was appended across another writer's positions"
                    )
                last = fact.position
                yield fact


PACK_COUNT = "pack_facts"
PACK_PIECE_BYTES = bounds.TABLE_PROPERTY_BYTES  # a binary property holds at most 64 KiB
PACK_PIECES = bounds.TABLE_PIECES_PER_ENTITY  # an entity holds at most 1 MiB: 14 full pieces and the keys


def _by_date(facts: Sequence[JournalFact]) -> dict[date, list[JournalFact]]:
    by_date: dict[date, dict[str, JournalFact]] = defaultdict(dict)
    for fact in facts:
        by_date[fact.business_date][fact.position] = fact
    return {day: [rows[p] for p in sorted(rows)] for day, rows in by_date.items()}


def _packs(facts: list[JournalFact]) -> Iterator[dict[str, Any]]:
    """Entities of at most PACK_PIECES pieces: a run that compresses to more is halved, the same way each time."""
    document = json.dumps([f.to_json() for f in facts], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    payload = zlib.compress(document.encode("utf-8"), 6)
    if len(payload) > PACK_PIECES * PACK_PIECE_BYTES:
        if len(facts) == 1:
            raise ValueError(f"journal fact {facts[0].position} is too large to store ({len(payload)} bytes packed)")
        middle = len(facts) // 2
        yield from _packs(facts[:middle])
        yield from _packs(facts[middle:])
        return
    entity: dict[str, Any] = {
        "PartitionKey": facts[0].business_date.isoformat(),
        "RowKey": facts[-1].position,
        "first_position": facts[0].position,
        PACK_COUNT: len(facts),
    }
    for index, start in enumerate(range(0, len(payload), PACK_PIECE_BYTES)):
        entity[f"pack_{index:02d}"] = payload[start : start + PACK_PIECE_BYTES]
    yield entity


def _unpacked(entity: Mapping[str, Any]) -> list[JournalFact]:
    pieces = sorted(key for key in entity if key.startswith("pack_") and key != PACK_COUNT)
    payload = b"".join(bytes(entity[key]) for key in pieces)
    facts = [JournalFact.from_json(raw) for raw in json.loads(zlib.decompress(payload))]
    if len(facts) != entity[PACK_COUNT]:
        raise RuntimeError(f"journal pack {entity['RowKey']} holds {len(facts)} facts, not {entity[PACK_COUNT]}")
    return facts


def fact_entity(fact: JournalFact) -> dict[str, Any]:
    return {
        "PartitionKey": fact.business_date.isoformat(),
        "RowKey": fact.position,
        "kind": fact.kind.value,
        "contract_number": fact.contract_number,
        "revision": fact.revision,
        "dealer_code": fact.dealer_code,
        "product_type": fact.product_type,
        "oem": fact.oem or "",
        "administrator": fact.administrator,
        "event_id": fact.event_id,
        "source": fact.source,
        "data": json.dumps(fact.data, ensure_ascii=False, sort_keys=True),
    }


def _fact_from_entity(entity: Mapping[str, Any]) -> JournalFact:
    return JournalFact(
        business_date=date.fromisoformat(entity["PartitionKey"]),
        position=entity["RowKey"],
        kind=FactKind(entity["kind"]),
        contract_number=entity["contract_number"],
        revision=int(entity["revision"]),
        dealer_code=entity["dealer_code"],
        product_type=entity["product_type"],
        oem=entity["oem"] or None,
        administrator=entity["administrator"],
        event_id=entity["event_id"],
        source=entity["source"],
        data=json.loads(entity["data"]),
    )
