"""Contract records, the inbox and identity claims in Azure Table Storage.

Contracts are spread over a fixed number of partitions (`b00`..`bNN`, by a hash of the contract number),
so one batch's writes for many contracts travel as a few entity-group transactions, and a contract's
record, its inbox entries and its held-cancellation markers share a partition and change atomically.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from azure.core import MatchConditions
from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, TableTransactionError, UpdateMode

from function_app.adapters.kernel.contract_rows import (
    claim_entity,
    claim_from,
    claim_partition,
    claim_row,
    inbox_row,
    record_partition,
    record_row,
)
from function_app.adapters.kernel.contract_transactions import Chunk, owner, transactions
from function_app.adapters.kernel.json_properties import json_property
from function_app.adapters.kernel.table_storage import TRANSACTION_LIMIT, delete_rows, odata_quote, query_keys
from function_app.domain.realtime.contracts import ContractRecord
from function_app.service_layer.kernel.ports import (
    ContractChange,
    ContractStore,
    HeldMarker,
    IdentityClaim,
    InboxEntry,
    Snapshot,
    StoredContract,
)

CONFLICT_CODES = {"EntityAlreadyExists", "UpdateConditionNotSatisfied", "ResourceNotFound"}


class TableContractStore(ContractStore):
    """Records and inbox entries in partitions `bNN` by contract; identity claims in partitions `iNN` by a
    digest of `source` + `id`, so that an input is found whatever contract a later message names."""

    def __init__(self, table: TableClient, partitions: int) -> None:
        self._table = table
        self._partitions = partitions

    def partition_of(self, routing_key: str) -> str:
        return record_partition(routing_key, self._partitions)

    def claim_partition_of(self, input_key: str) -> str:
        return claim_partition(input_key, self._partitions)

    def claim(self, claims: Sequence[IdentityClaim]) -> dict[str, IdentityClaim]:
        by_partition: dict[str, dict[str, IdentityClaim]] = defaultdict(dict)
        for item in claims:
            by_partition[self.claim_partition_of(item.input_key)][claim_row(item.input_key)] = item
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
                    [("create", claim_entity(partition, c)) for c in rows.values()]
                )
            except TableTransactionError as exc:
                if getattr(exc, "error_code", None) != "EntityAlreadyExists":
                    raise
                for entity in query_keys(self._table, partition, sorted(rows)):
                    found = claim_from(entity)
                    standing[found.input_key] = found
                    rows.pop(entity["RowKey"], None)
                continue
            for created, result in zip(rows.values(), results, strict=True):
                standing[created.input_key] = replace(created, etag=result.get("etag"))
            break
        return standing

    def take_over(self, stale: IdentityClaim, claim: IdentityClaim) -> bool:
        entity = claim_entity(self.claim_partition_of(claim.input_key), claim)
        try:
            self._table.update_entity(entity, mode=UpdateMode.REPLACE, etag=stale.etag,
                                      match_condition=MatchConditions.IfNotModified)
        except (ResourceModifiedError, ResourceNotFoundError):
            return False
        return True

    def load(self, routing_keys: Iterable[str], inbox_keys: Mapping[str, str]) -> Snapshot:
        wanted: dict[str, list[str]] = defaultdict(list)
        for key in routing_keys:
            wanted[self.partition_of(key)].append(record_row(key))
        for input_key, routing_key in inbox_keys.items():
            wanted[self.partition_of(routing_key)].append(inbox_row(input_key))
        contracts: dict[str, StoredContract] = {}
        inbox: dict[str, InboxEntry] = {}
        for partition, rows in wanted.items():
            for entity in query_keys(self._table, partition, sorted(set(rows))):
                if entity["RowKey"].startswith("k|"):
                    record = ContractRecord.from_json(json_property(entity, "record"))
                    contracts[record.contract_number] = StoredContract(record, entity.metadata["etag"])
                else:
                    entry = InboxEntry.from_json(json_property(entity, "entry"))
                    inbox[entry.input_key] = entry
        return Snapshot(contracts, inbox)

    def read(self, contract_number: str) -> ContractRecord | None:
        try:
            entity = self._table.get_entity(self.partition_of(contract_number), record_row(contract_number))
        except ResourceNotFoundError:
            return None
        return ContractRecord.from_json(json_property(entity, "record"))

    def save(self, changes: Sequence[ContractChange]) -> set[str]:
        by_partition: dict[str, list[ContractChange]] = defaultdict(list)
        for change in changes:
            by_partition[self.partition_of(change.routing_key)].append(change)
        lost: set[str] = set()
        for partition, group in by_partition.items():
            for chunk in transactions(partition, group):
                lost.update(self._submit(chunk))
        return lost

    def _submit(self, chunk: Chunk) -> set[str]:
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
                culprit = owner(chunk, exc.index)
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

    def every_record(self) -> Iterator[ContractRecord]:
        for index in range(self._partitions):
            query = f"PartitionKey eq 'b{index:02d}' and RowKey ge 'k|' and RowKey lt 'k}}'"
            for entity in self._table.query_entities(query):
                yield ContractRecord.from_json(json_property(entity, "record"))

    def delete(self, routing_keys: Collection[str]) -> None:
        """Reads each partition's inbox and markers to find the rows of these contracts (an inbox row is keyed by
        its input alone), then deletes them, the record last: a crash part-way leaves a record to find again."""
        by_partition: dict[str, set[str]] = defaultdict(set)
        for key in routing_keys:
            by_partition[self.partition_of(key)].add(key)
        for partition, keys in by_partition.items():
            rows = []
            for entity in self._table.query_entities(f"PartitionKey eq '{partition}' and RowKey ge 'e|' "
                                                     "and RowKey lt 'e}'"):
                if json_property(entity, "entry")["routing_key"] in keys:
                    rows.append(entity["RowKey"])
            for entity in self._table.query_entities(f"PartitionKey eq '{partition}' and RowKey ge 'h|' "
                                                     "and RowKey lt 'h}'", select=["RowKey", "routing_key"]):
                if entity["routing_key"] in keys:
                    rows.append(entity["RowKey"])
            delete_rows(self._table, partition, sorted(set(rows)))
            delete_rows(self._table, partition, sorted(record_row(key) for key in keys))
