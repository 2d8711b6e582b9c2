"""The rows of the contracts table: partitions `bNN` by contract hold its record, inbox entries and held-cancellation
markers; partitions `iNN` by a digest of an input's `source` + `id` hold its identity claim."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from azure.data.tables import TableEntity

from function_app.adapters.kernel.json_properties import json_properties
from function_app.domain.realtime.contracts import ContractRecord
from function_app.domain.reconciliation.refunds_overdue import refund_owed
from function_app.service_layer.kernel.ports import IdentityClaim, InboxEntry

Entity = dict[str, Any]
OWED = "refund_owed"  # a record row's property: its cancellation's refund has a deadline and is not reported paid


def bucket(key: str, buckets: int) -> int:
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:4], "big") % buckets


def record_partition(routing_key: str, partitions: int) -> str:
    return f"b{bucket(routing_key, partitions):02d}"


def claim_partition(input_key: str, partitions: int) -> str:
    return f"i{bucket(input_key, partitions):02d}"


def record_row(routing_key: str) -> str:
    return "k|" + routing_key


def inbox_row(input_key: str) -> str:
    return "e|" + hashlib.sha256(input_key.encode("utf-8")).hexdigest()[:40]


def claim_row(input_key: str) -> str:
    return "i|" + hashlib.sha256(input_key.encode("utf-8")).hexdigest()[:40]


def held_row(routing_key: str, input_key: str, received_at: datetime) -> str:
    return f"h|{received_at.isoformat()}|{routing_key}|{inbox_row(input_key)[2:]}"


def record_entity(partition: str, routing_key: str, record: ContractRecord) -> Entity:
    return {
        "PartitionKey": partition,
        "RowKey": record_row(routing_key),
        **json_properties("record", record.to_json()),
        "status": record.status.value if record.status else "",
        OWED: refund_owed(record),  # the index of refunds owed: rewritten with the record, so always in step
    }


def inbox_entity(partition: str, entry: InboxEntry) -> Entity:
    return {
        "PartitionKey": partition,
        "RowKey": inbox_row(entry.input_key),
        **json_properties("entry", entry.to_json()),
        "status": entry.status.value,
    }


def held_entity(partition: str, routing_key: str, input_key: str, received_at: datetime) -> Entity:
    """Markers index held cancellations by arrival time, so the expiry timer reads a key range."""
    return {
        "PartitionKey": partition,
        "RowKey": held_row(routing_key, input_key, received_at),
        "routing_key": routing_key,
        "input_key": input_key,
        "received_at": received_at.isoformat(),
    }


def claim_entity(partition: str, claim: IdentityClaim) -> Entity:
    return {
        "PartitionKey": partition,
        "RowKey": claim_row(claim.input_key),
        "input_key": claim.input_key,
        "routing_key": claim.routing_key,
        "claimed_at": claim.claimed_at.isoformat(),
    }


def claim_from(entity: TableEntity) -> IdentityClaim:
    claimed_at = datetime.fromisoformat(entity["claimed_at"])
    return IdentityClaim(entity["input_key"], entity["routing_key"], claimed_at, entity.metadata["etag"])
