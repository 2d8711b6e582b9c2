"""A batch's contract changes as entity-group transactions: whole changes packed per partition, each guarded by the
version of the record its decisions were made on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from azure.core import MatchConditions
from azure.data.tables import UpdateMode

from function_app.adapters.kernel.contract_rows import held_entity, held_row, inbox_entity, record_entity
from function_app.adapters.kernel.table_storage import TRANSACTION_LIMIT
from function_app.domain.kernel import bounds
from function_app.service_layer.kernel.ports import ContractChange

Operation = tuple[Any, ...]
Chunk = list[tuple[ContractChange, list[Operation]]]
TRANSACTION_BYTES = bounds.TABLE_TRANSACTION_BYTES * 3 // 4  # a chunk's properties, leaving room for the envelope


def transactions(partition: str, changes: list[ContractChange]) -> Iterator[Chunk]:
    """Packs whole changes into transactions of at most 100 operations; a change is never split."""
    chunk: Chunk = []
    size = weight = 0
    for change in changes:
        ops = operations(partition, change)
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


def owner(chunk: Chunk, index: int) -> int:
    """Which change the failed operation belongs to."""
    seen = 0
    for position, (_, ops) in enumerate(chunk):
        seen += len(ops)
        if index < seen:
            return position
    return 0


def operations(partition: str, change: ContractChange) -> list[Operation]:
    ops: list[Operation] = []
    before = change.before
    decided = change.new_entries or change.replaced_entries
    if change.record_changed or (before.etag and decided):  # the guard: decisions were made on this version
        entity = record_entity(partition, change.routing_key, change.after)
        if before.etag is None:
            ops.append(("create", entity))
        else:
            guard = {"mode": UpdateMode.REPLACE, "etag": before.etag, "match_condition": MatchConditions.IfNotModified}
            ops.append(("update", entity, guard))
    ops.extend(_held_operations(partition, change))
    for entry in change.new_entries:
        ops.append(("create", inbox_entity(partition, entry)))
    for entry in change.replaced_entries:
        ops.append(("upsert", inbox_entity(partition, entry), {"mode": UpdateMode.REPLACE}))
    return ops


def _held_operations(partition: str, change: ContractChange) -> list[Operation]:
    old = {h.input_key: h for h in change.before.record.held}
    new = {h.input_key: h for h in change.after.held}
    ops: list[Operation] = []
    for key in old.keys() - new.keys():
        row = held_row(change.routing_key, key, old[key].received_at)
        ops.append(("delete", {"PartitionKey": partition, "RowKey": row}))
    for key in new.keys() - old.keys():
        entity = held_entity(partition, change.routing_key, key, new[key].received_at)
        ops.append(("upsert", entity, {"mode": UpdateMode.REPLACE}))
    return ops


def _weight(operations: list[Operation]) -> int:
    """Roughly the bytes the operations' properties add to a transaction's body."""
    return sum(len(value) * 2 for op in operations for value in op[1].values() if isinstance(value, str | bytes))
