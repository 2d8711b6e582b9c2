"""The Journal contract: every adapter of the port passes the same tests."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import date

import pytest

from function_app.adapters.kernel.memory import MemoryJournal
from function_app.domain.kernel.journal import FactKind, JournalFact
from function_app.service_layer.kernel.ports import Journal
from tests.contracts import on_azurite

DAY = date(2026, 3, 2)


def fact(position: str, day: date = DAY) -> JournalFact:
    return JournalFact(day, position, FactKind.CONTRACT_ACCEPTED, "C1", 1, "D1", "VSC", None, "ADM-01", "e", "s",
                       {"contract": {"name": "Zoë =SUM(A1)"}})


class JournalContract(ABC):
    @abstractmethod
    def make(self, request: pytest.FixtureRequest) -> Journal: ...

    @pytest.fixture
    def journal(self, request: pytest.FixtureRequest) -> Journal:
        return self.make(request)

    def test_an_empty_date_reads_nothing(self, journal: Journal) -> None:
        assert list(journal.read(DAY)) == []
        assert list(journal.read(DAY, after="p1")) == []

    def test_is_idempotent_and_reads_one_date_in_position_order(self, journal: Journal) -> None:
        journal.append([fact("p3"), fact("p1"), fact("p9", date(2026, 3, 3))])
        journal.append([fact("p1"), fact("p2")])
        assert [f.position for f in journal.read(DAY)] == ["p1", "p2", "p3"]
        assert [f.position for f in journal.read(DAY, after="p1")] == ["p2", "p3"]
        assert next(iter(journal.read(DAY))) == fact("p1")

    def test_writes_more_than_one_transaction_worth(self, journal: Journal) -> None:
        journal.append([fact(f"p{i:04d}") for i in range(250)])
        assert [f.position for f in journal.read(DAY)] == [f"p{i:04d}" for i in range(250)]

    def test_a_run_reads_back_among_single_facts_from_any_watermark(self, journal: Journal) -> None:
        run = [fact(f"p5-{i:04d}") for i in range(300)]
        journal.append([fact("p1"), fact("p9")])
        journal.append_run([*reversed(run), fact("p5-0007", date(2026, 3, 3))])
        journal.append_run(run)  # a retried chunk: stored once
        everything = list(journal.read(DAY))
        assert everything == [fact("p1"), *run, fact("p9")]
        # a watermark inside the run (a micro-batch cut mid-chunk) resumes right after it
        assert [f.position for f in journal.read(DAY, after="p5-0150")][:2] == ["p5-0151", "p5-0152"]
        assert len(list(journal.read(DAY, after="p5-0150"))) == 149 + 1
        assert [f.position for f in journal.read(DAY, after="p5-0299")] == ["p9"]
        assert [f.position for f in journal.read(date(2026, 3, 3))] == ["p5-0007"]

    def test_lists_its_dates_oldest_first_and_deletes_one_whole(self, journal: Journal) -> None:
        assert list(journal.dates()) == []
        later, earlier = date(2026, 3, 3), date(2025, 12, 31)
        journal.append([fact("p1"), fact("p2"), fact("p1", later), fact("p1", earlier)])
        journal.append_run([fact(f"p5-{i:04d}") for i in range(150)])  # a pack among single facts
        assert list(journal.dates()) == [earlier, DAY, later]
        journal.delete_date(DAY)
        assert list(journal.read(DAY)) == []
        assert list(journal.dates()) == [earlier, later]
        assert [f.position for f in journal.read(later)] == ["p1"]
        journal.delete_date(DAY)  # again: nothing there, nothing raised
        journal.delete_date(date(2020, 1, 1))
        assert list(journal.dates()) == [earlier, later]


class TestJournalInMemory(JournalContract):
    def make(self, request: pytest.FixtureRequest) -> Journal:
        return MemoryJournal()


class TestJournalOnAzurite(JournalContract):
    def make(self, request: pytest.FixtureRequest) -> Journal:
        return on_azurite.journal(on_azurite.namespace(request))
