"""The ReportStore contract: every adapter of the port passes the same tests."""

from __future__ import annotations

from abc import ABC, abstractmethod

import pytest

from function_app.adapters.reconciliation.memory import MemoryReports
from function_app.service_layer.reconciliation.ports import ReportStore
from tests.contracts import on_azurite

NAME = "reconciliation/2026/03/2026-03-02.html"
# a middle dot: bytes beyond ASCII come back as written
PAGE = "<!DOCTYPE html>\n<title>Reconciliation · 2026-03-02: agrees</title>\n".encode()
HTML = "text/html; charset=utf-8"


class ReportStoreContract(ABC):
    @abstractmethod
    def make(self, request: pytest.FixtureRequest) -> ReportStore: ...

    @abstractmethod
    def stored(self, reports: ReportStore, name: str) -> tuple[bytes, str]:
        """The report's bytes and content type as an operator gets them."""

    @pytest.fixture
    def reports(self, request: pytest.FixtureRequest) -> ReportStore:
        return self.make(request)

    def test_a_report_is_kept_with_its_content_type_and_named_by_its_container(self, reports: ReportStore) -> None:
        location = reports.write(NAME, PAGE, HTML)
        container, name = location.split("/", 1)
        assert container and name == NAME
        assert self.stored(reports, NAME) == (PAGE, HTML)

    def test_a_date_reconciled_again_replaces_its_report(self, reports: ReportStore) -> None:
        first = reports.write(NAME, PAGE, HTML)
        again = b'{"agrees": false}\n'
        assert reports.write(NAME, again, "application/json") == first
        assert self.stored(reports, NAME) == (again, "application/json")

    def test_each_name_is_its_own_report(self, reports: ReportStore) -> None:
        json_name = NAME.replace(".html", ".json")
        reports.write(NAME, PAGE, HTML)
        reports.write(json_name, b"{}\n", "application/json")
        assert self.stored(reports, NAME) == (PAGE, HTML)
        assert self.stored(reports, json_name) == (b"{}\n", "application/json")


class TestReportsInMemory(ReportStoreContract):
    def make(self, request: pytest.FixtureRequest) -> ReportStore:
        return MemoryReports()

    def stored(self, reports: ReportStore, name: str) -> tuple[bytes, str]:
        assert isinstance(reports, MemoryReports)
        return reports.reports[name]


class TestReportsOnAzurite(ReportStoreContract):
    def make(self, request: pytest.FixtureRequest) -> ReportStore:
        self.settings = on_azurite.namespace(request)
        return on_azurite.reports(self.settings)

    def stored(self, reports: ReportStore, name: str) -> tuple[bytes, str]:
        return on_azurite.stored_report(self.settings, name)
