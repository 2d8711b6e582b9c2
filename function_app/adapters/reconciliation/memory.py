"""Reconciliation's storage in memory: breaks by business date and the written reports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from function_app.domain.reconciliation.model import Break
from function_app.domain.reconciliation.runs import BreakStatus
from function_app.service_layer.reconciliation.ports import BreakStore, ReportStore


class MemoryBreaks(BreakStore):
    def __init__(self) -> None:
        self.rows: dict[tuple[date, str], tuple[Break, BreakStatus]] = {}
        self.standing: dict[str, tuple[Break, BreakStatus]] = {}

    def open_breaks(self, business_date: date) -> list[Break]:
        rows = sorted(self.rows.items())
        return [b for (day, _), (b, status) in rows if day == business_date and status is BreakStatus.OPEN]

    def record(self, business_date: date, found: Sequence[Break], resolved: Sequence[Break], at: datetime) -> None:
        for item in found:
            self.rows[(business_date, item.identity)] = (item, BreakStatus.OPEN)
        for item in resolved:
            self.rows[(business_date, item.identity)] = (item.without_values(), BreakStatus.RESOLVED)

    def open_standing(self) -> list[Break]:
        return [b for _, (b, status) in sorted(self.standing.items()) if status is BreakStatus.OPEN]

    def record_standing(self, found: Sequence[Break], resolved: Sequence[Break], at: datetime) -> None:
        for item in found:
            self.standing[item.identity] = (item, BreakStatus.OPEN)
        for item in resolved:
            self.standing[item.identity] = (item.without_values(), BreakStatus.RESOLVED)


class MemoryReports(ReportStore):
    def __init__(self) -> None:
        self.reports: dict[str, tuple[bytes, str]] = {}

    def write(self, name: str, data: bytes, content_type: str) -> str:
        self.reports[name] = (data, content_type)
        return f"reports/{name}"
