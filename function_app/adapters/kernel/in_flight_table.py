"""Writers in flight in table `inflight`: one row per writer in one partition, so one query reads them all (a few
dozen rows at most: one per Event Hub partition being decided and per claims file being read)."""

from __future__ import annotations

import contextlib
from datetime import datetime

from azure.core import MatchConditions
from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, TableEntity, UpdateMode

from function_app.service_layer.kernel.in_flight import InFlightWriter, InFlightWriters

PARTITION = "writers"
_FORBIDDEN = str.maketrans({c: "_" for c in "/\\#?"})  # characters a RowKey may not hold


def _key(writer: str) -> str:
    return writer.translate(_FORBIDDEN)


class TableInFlight(InFlightWriters):
    def __init__(self, table: TableClient) -> None:
        self._table = table

    def register(self, writer: InFlightWriter) -> None:
        entity = {"PartitionKey": PARTITION, "RowKey": _key(writer.writer), "writer": writer.writer,
                  "lowest": writer.lowest, "expires_at": writer.expires_at}
        self._table.upsert_entity(entity, mode=UpdateMode.REPLACE)

    def release(self, writer: str) -> None:
        self._table.delete_entity(PARTITION, _key(writer))  # the SDK passes over an entity that is not there

    def live(self, now: datetime) -> list[InFlightWriter]:
        entries: list[InFlightWriter] = []
        expired: list[TableEntity] = []
        for row in self._table.query_entities(f"PartitionKey eq '{PARTITION}'"):
            entry = InFlightWriter(row["writer"], row["lowest"], row["expires_at"])
            if entry.expires_at <= now:
                expired.append(row)
            else:
                entries.append(entry)
        for row in expired:  # a crashed writer's row, gone once it no longer counts (unless registered again since)
            with contextlib.suppress(ResourceNotFoundError, ResourceModifiedError):
                self._table.delete_entity(row, etag=row.metadata["etag"], match_condition=MatchConditions.IfNotModified)
        return sorted(entries, key=lambda entry: entry.lowest)
