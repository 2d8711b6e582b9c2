"""The Journal contract: every adapter of the port passes the same tests."""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from dataclasses import replace
from datetime import date
from itertools import islice

import pytest
from azure.data.tables import TableServiceClient

from function_app.adapters.kernel.journal_table import TableJournal, date_filter, partition_key, shard_of
from function_app.adapters.kernel.memory import MemoryJournal
from function_app.adapters.kernel.table_storage import ensure_table
from function_app.domain.kernel.journal import FactKind, JournalFact
from function_app.service_layer.kernel.ports import Journal, RenderedFact, render_fact
from tests.contracts import on_azurite

DAY = date(2026, 3, 2)


def fact(position: str, day: date = DAY, contract: str = "C1") -> JournalFact:
    return JournalFact(day, position, FactKind.CONTRACT_ACCEPTED, contract, 1, "D1", "VSC", None, "ADM-01", "e", "s",
                       {"contract": {"name": "Zoë =SUM(A1)"}})


def many_contracts(count: int, contracts: int = 23) -> list[JournalFact]:
    """Facts of many contracts (so of every shard), positions interleaved across them, in position order."""
    return [fact(f"p{i:05d}", contract=f"VSC{i % contracts:07d}") for i in range(count)]


class JournalContract(ABC):
    @abstractmethod
    def make(self, request: pytest.FixtureRequest, page: int = 1000) -> Journal:
        """The journal; `page`: entities per page of a read, where the adapter pages."""

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

    def test_rendered_facts_read_back_as_the_facts_they_render_among_others(self, journal: Journal) -> None:
        run = [fact(f"p5-{i:04d}", contract=f"VSC{i % 5:07d}") for i in range(120)]
        rendered = [RenderedFact(f.business_date, f.position, f.contract_number, render_fact(f)) for f in run]
        journal.append([fact("p1"), fact("p9")])
        journal.append_rendered([*reversed(rendered), RenderedFact(date(2026, 3, 3), "p5-0007", "C1",
                                                                   render_fact(fact("p5-0007", date(2026, 3, 3))))])
        journal.append_rendered(rendered)  # a retried chunk: stored once
        assert list(journal.read(DAY)) == [fact("p1"), *run, fact("p9")]
        assert list(journal.read(DAY, after="p5-0059"))[:2] == run[60:62]
        assert list(journal.read(date(2026, 3, 3))) == [fact("p5-0007", date(2026, 3, 3))]
        assert list(journal.dates()) == [DAY, date(2026, 3, 3)]

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


    def test_facts_of_many_contracts_read_back_in_position_order(self, journal: Journal) -> None:
        facts = many_contracts(400)
        shuffled = random.Random(15).sample(facts, len(facts))
        for start in range(0, 400, 130):  # several writers' batches, each of every contract
            journal.append(shuffled[start : start + 130])
        run = [fact(f"p00200-{i:03d}", contract=f"GAP{i % 7:07d}") for i in range(50)]  # a claims chunk's range
        journal.append_run(run)
        expected = [*facts[:201], *run, *facts[201:]]
        assert list(journal.read(DAY)) == expected
        for watermark in ("p00000", "p00137", "p00200", "p00200-017", "p00200-049", "p00399", "p99999"):
            assert list(journal.read(DAY, after=watermark)) == [f for f in expected if f.position > watermark]

    def test_reads_page_by_page_across_shards_and_stops_early(self, request: pytest.FixtureRequest) -> None:
        journal = self.make(request, page=7)
        facts = many_contracts(300)
        journal.append(facts)
        assert list(journal.read(DAY)) == facts
        assert list(journal.read(DAY, after="p00150")) == facts[151:]
        assert list(islice(journal.read(DAY, after="p00010"), 5)) == facts[11:16]  # a reader that stops early


class TestJournalInMemory(JournalContract):
    def make(self, request: pytest.FixtureRequest, page: int = 1000) -> Journal:
        return MemoryJournal()


class TestJournalOnAzurite(JournalContract):
    def make(self, request: pytest.FixtureRequest, page: int = 1000) -> Journal:
        return on_azurite.journal(on_azurite.namespace(request), page)

    @staticmethod
    def stored(request: pytest.FixtureRequest) -> list[dict[str, object]]:
        settings = on_azurite.namespace(request)
        tables = TableServiceClient.from_connection_string(settings.storage_connection or "")
        table = ensure_table(tables, settings.journal_table)
        return [dict(e) for e in table.query_entities(date_filter(DAY), select=["PartitionKey", "contract_number",
                                                                                "RowKey"])]

    def test_a_contracts_facts_stay_in_its_one_shard_and_the_date_spreads_over_all(
        self, journal: Journal, request: pytest.FixtureRequest
    ) -> None:
        shards = on_azurite.namespace(request).journal_shards
        assert shards > 1, "the default spreads a date"
        journal.append(many_contracts(200))
        journal.append_run([fact(f"p00100-{i:03d}", contract=f"VSC{i % 23:07d}") for i in range(40)])
        stored = self.stored(request)
        partitions: dict[object, set[object]] = {}
        for entity in stored:
            partitions.setdefault(entity.get("contract_number") or "pack", set()).add(entity["PartitionKey"])
        for contract in (f"VSC{k:07d}" for k in range(23)):
            assert partitions[contract] == {partition_key(DAY, shard_of(contract, shards))}
        assert {e["PartitionKey"] for e in stored} == {partition_key(DAY, k) for k in range(shards)}
        packs = [e for e in stored if not e.get("contract_number")]
        assert len(packs) == shards, "a run is packed per shard: each pack holds only its shard's contracts"

    def test_a_date_written_under_another_shard_count_reads_whole_and_each_fact_once(
        self, request: pytest.FixtureRequest
    ) -> None:
        settings = on_azurite.namespace(request)
        table = ensure_table(TableServiceClient.from_connection_string(settings.storage_connection or ""),
                             settings.journal_table)
        facts = many_contracts(120)
        TableJournal(table, 1).append(facts[:40])  # before sharding: the date's one partition, now shard 0
        TableJournal(table, 9).append(facts[40:80])  # a larger count, since lowered
        TableJournal(table, 9).append(facts[:10])  # a batch redelivered under another count: stored twice
        TableJournal(table, 3).append(facts[80:])
        for shards in (1, 3, 9):
            assert list(TableJournal(table, shards, page=11).read(DAY)) == facts
            assert list(TableJournal(table, shards).read(DAY, after="p00039")) == facts[40:]
        twin = replace(facts[5], dealer_code="D2")  # a different fact under a stored position: not hidden
        TableJournal(table, 7).append([twin])
        read = [f for f in TableJournal(table, 3).read(DAY) if f.position == facts[5].position]
        assert sorted(read, key=repr) == sorted([facts[5], twin], key=repr)
        assert list(TableJournal(table, 3).dates()) == [DAY]
        TableJournal(table, 2).delete_date(DAY)
        assert list(TableJournal(table, 9).read(DAY)) == [] and list(TableJournal(table, 9).dates()) == []
