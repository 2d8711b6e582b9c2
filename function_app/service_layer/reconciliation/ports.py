"""Where reconciliation keeps its breaks between runs."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import date, datetime

from function_app.domain.reconciliation.model import Break


class BreakStore(ABC):
    @abstractmethod
    def open_breaks(self, business_date: date) -> list[Break]:
        """Breaks of the date found by the last run and not resolved since."""

    @abstractmethod
    def record(self, business_date: date, found: Sequence[Break], resolved: Sequence[Break], at: datetime) -> None:
        """Keeps what this run found; marks as resolved what it no longer finds."""

    @abstractmethod
    def open_standing(self) -> list[Break]:
        """Breaks of no one date's run (refunds overdue, checked every run whatever their date) found by the last
        run and not resolved since."""

    @abstractmethod
    def record_standing(self, found: Sequence[Break], resolved: Sequence[Break], at: datetime) -> None:
        """Keeps the standing breaks this run found; marks as resolved those it no longer finds."""


class ReportStore(ABC):
    @abstractmethod
    def write(self, name: str, data: bytes, content_type: str) -> str:
        """Stores (or replaces) one report; returns where it is, as an operator would name it."""
