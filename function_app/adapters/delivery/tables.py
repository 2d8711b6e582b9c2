"""Feed state and delivery records in Table Storage: one partition per partner feed."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from azure.core import MatchConditions
from azure.data.tables import TableClient, TableTransactionError, UpdateMode

from function_app.domain.delivery.statuses import FileStatus
from function_app.service_layer.delivery.ports import DeliveredFile, DeliveryStateStore, FeedState

CONFLICTS = {"EntityAlreadyExists", "UpdateConditionNotSatisfied"}


def _partition(partner: str, feed: str) -> str:
    return f"{partner}|{feed}"


class TableDeliveryStates(DeliveryStateStore):
    def __init__(self, table: TableClient) -> None:
        self._table = table

    def read(self, partner: str, feed: str) -> tuple[FeedState, str | None]:
        query = f"PartitionKey eq '{_partition(partner, feed)}' and RowKey eq 'state'"
        for entity in self._table.query_entities(query):
            return FeedState.from_json(json.loads(entity["state"])), entity.metadata["etag"]
        return FeedState(), None

    def write(
        self, partner: str, feed: str, state: FeedState, etag: str | None, delivered: DeliveredFile | None = None
    ) -> str | None:
        key = _partition(partner, feed)
        entity = {"PartitionKey": key, "RowKey": "state", "state": json.dumps(state.to_json(), sort_keys=True)}
        operations: list[tuple[Any, ...]] = []
        if etag is None:
            operations.append(("create", entity))
        else:
            guard = {"mode": UpdateMode.REPLACE, "etag": etag, "match_condition": MatchConditions.IfNotModified}
            operations.append(("update", entity, guard))
        if delivered is not None:
            row = f"file|{delivered.business_date.isoformat()}|{delivered.sequence:03d}"
            record = {"PartitionKey": key, "RowKey": row, "file": json.dumps(delivered.to_json(), sort_keys=True)}
            operations.append(("create", record))
        try:
            results = self._table.submit_transaction(operations)
        except TableTransactionError as exc:
            if getattr(exc, "error_code", None) in CONFLICTS:
                return None
            raise
        return str(results[0]["etag"])

    def set_status(self, file: DeliveredFile, status: FileStatus) -> None:
        row = f"file|{file.business_date.isoformat()}|{file.sequence:03d}"
        updated = replace(file, status=status)
        entity = {"PartitionKey": _partition(file.partner, file.feed), "RowKey": row,
                  "file": json.dumps(updated.to_json(), sort_keys=True)}
        self._table.upsert_entity(entity, mode=UpdateMode.REPLACE)

    def files(self, partner: str, feed: str | None = None) -> list[DeliveredFile]:
        files = "RowKey ge 'file|' and RowKey lt 'file~'"
        if feed is None:
            query = f"PartitionKey ge '{partner}|' and PartitionKey lt '{partner}|~' and {files}"
        else:
            query = f"PartitionKey eq '{_partition(partner, feed)}' and {files}"
        found = [DeliveredFile.from_json(json.loads(e["file"])) for e in self._table.query_entities(query)]
        return sorted(found, key=lambda f: (f.business_date, f.feed, f.sequence))
