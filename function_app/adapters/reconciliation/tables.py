"""Reconciliation breaks in Table Storage: one partition per business date, one row per break identity; standing
breaks (refunds overdue, of no one date's run) in partition `standing`. A row turned RESOLVED is rewritten without its
detail, so a value it quoted does not outlive the break."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from azure.data.tables import TableClient, UpdateMode

from function_app.domain.reconciliation.model import Break
from function_app.domain.reconciliation.runs import BreakStatus
from function_app.service_layer.reconciliation.ports import BreakStore

BATCH = 100
STANDING = "standing"  # not an ISO date, so never one date's partition


def _row(item: Break) -> str:
    return hashlib.sha256(item.identity.encode("utf-8")).hexdigest()[:40]


class TableBreaks(BreakStore):
    def __init__(self, table: TableClient) -> None:
        self._table = table

    def open_breaks(self, business_date: date) -> list[Break]:
        return self._open(business_date.isoformat())

    def record(self, business_date: date, found: Sequence[Break], resolved: Sequence[Break], at: datetime) -> None:
        self._record(business_date.isoformat(), found, resolved, at)

    def open_standing(self) -> list[Break]:
        return self._open(STANDING)

    def record_standing(self, found: Sequence[Break], resolved: Sequence[Break], at: datetime) -> None:
        self._record(STANDING, found, resolved, at)

    def _open(self, partition: str) -> list[Break]:
        query = f"PartitionKey eq '{partition}' and status eq '{BreakStatus.OPEN.value}'"
        return [Break.from_json(json.loads(e["break"])) for e in self._table.query_entities(query)]

    def _record(self, day: str, found: Sequence[Break], resolved: Sequence[Break], at: datetime) -> None:
        rows: list[dict[str, Any]] = [_entity(day, item, BreakStatus.OPEN, at) for item in found]
        rows += [_entity(day, item.without_values(), BreakStatus.RESOLVED, at) for item in resolved]
        unique = list({row["RowKey"]: row for row in rows}.values())
        for start in range(0, len(unique), BATCH):
            self._table.submit_transaction(
                [("upsert", row, {"mode": UpdateMode.MERGE}) for row in unique[start : start + BATCH]]
            )


def _entity(day: str, item: Break, status: BreakStatus, at: datetime) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "PartitionKey": day, "RowKey": _row(item), "break": json.dumps(item.to_json(), sort_keys=True),
        "status": status.value, "kind": item.kind.value, "scope": item.scope, "last_seen": at.isoformat(),
    }
    if status is BreakStatus.RESOLVED:
        entity["resolved_at"] = at.isoformat()
    return entity
