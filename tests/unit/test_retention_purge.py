"""The purge's orchestration over memory stores: it seals before it deletes, keeps what it cannot seal, deletes
claims and contracts after their dates, and can be run again after a crash."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from function_app.adapters.claims.memory import MemoryClaimsRegistry
from function_app.adapters.kernel.memory import MemoryContractStore, MemoryJournal, MemorySeals
from function_app.domain.claims.origin import ClaimOrigin
from function_app.domain.kernel.chain import ChainSeal
from function_app.domain.retention.period import Retention
from function_app.service_layer.claims.ports import AcceptedClaim
from function_app.service_layer.kernel.ports import ContractChange, StoredContract
from function_app.service_layer.kernel.seals import JournalSealer
from function_app.service_layer.retention.purge import RetentionPurge
from tests.retention import fact, record

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
OLD_DAY, SHARED_DAY, RECENT_DAY = date(2019, 1, 15), date(2019, 1, 16), date(2026, 3, 1)


class SealFirstJournal(MemoryJournal):
    """Refuses to delete a date that has no seal: the purge must seal first."""

    def __init__(self, seals: MemorySeals) -> None:
        super().__init__()
        self.seals, self.deleted = seals, list[date]()

    def delete_date(self, business_date: date) -> None:
        assert self.seals.get(business_date) is not None, f"{business_date} deleted before it was sealed"
        self.deleted.append(business_date)
        super().delete_date(business_date)


class World:
    def __init__(self) -> None:
        self.contracts, self.seals, self.claims = MemoryContractStore(), MemorySeals(), MemoryClaimsRegistry()
        self.journal = SealFirstJournal(self.seals)
        self.sealer = JournalSealer(self.journal, self.seals, lambda: NOW)
        for rec in [record("VSC-OLD-01", date(2017, 1, 1), 12), record("VSC-OLD-02", date(2017, 1, 1), 12),
                    record("VSC-OLD-03", date(2017, 1, 1), 12), record("VSC-LIVE-1", date(2025, 1, 1), 60)]:
            self.contracts.save([ContractChange(rec.contract_number, StoredContract(type(rec)(rec.contract_number)),
                                                rec)])
        self.journal.append([fact(OLD_DAY, "VSC-OLD-01", "p1"), fact(OLD_DAY, "VSC-OLD-02", "p2"),
                             fact(SHARED_DAY, "VSC-OLD-03", "p1"), fact(SHARED_DAY, "VSC-LIVE-1", "p2"),
                             fact(RECENT_DAY, "VSC-LIVE-1", "p1")])
        self.claims.add("ADM-01", [AcceptedClaim("CLM-1", "h", ClaimOrigin.parse("f#1"), "VSC-OLD-01"),
                                   AcceptedClaim("CLM-2", "h", ClaimOrigin.parse("f#1"), "VSC-LIVE-1")])

    def purge(self) -> RetentionPurge:
        return RetentionPurge(self.contracts, self.journal, self.claims, self.sealer, Retention(730), lambda: NOW)

    def numbers(self) -> list[str]:
        return sorted(r.contract_number for r in self.contracts.every_record())


def test_a_preview_counts_what_would_go_and_deletes_nothing() -> None:
    world = World()
    summary = world.purge().preview()
    assert (summary.contracts, summary.journal_dates, summary.journal_facts, summary.claims) == (2, 1, 2, 1)
    assert (summary.oldest_date, summary.newest_date) == (OLD_DAY, OLD_DAY)
    assert summary.oldest_coverage_end == summary.newest_coverage_end == date(2018, 1, 1)
    assert world.seals.seals == {} and len(world.numbers()) == 4 and next(iter(world.journal.dates())) == OLD_DAY
    assert "VSC" not in json.dumps(summary.to_json())  # counts and dates, no contract


def test_a_run_seals_each_date_before_it_deletes_it_and_keeps_what_is_still_used() -> None:
    world = World()
    summary = world.purge().run()
    assert world.journal.deleted == [OLD_DAY] and world.seals.get(OLD_DAY) is not None
    assert list(world.journal.dates()) == [SHARED_DAY, RECENT_DAY]
    assert world.numbers() == ["VSC-LIVE-1", "VSC-OLD-03"]  # OLD-03 shares a date with a live contract
    assert world.claims.of_contracts({"VSC-OLD-01", "VSC-LIVE-1"})[0][1].claim_number == "CLM-2"
    assert len(world.claims.claims) == 1
    assert (summary.contracts, summary.journal_dates, summary.claims, summary.kept_dates) == (2, 1, 1, {})


def test_a_second_run_finds_nothing_more() -> None:
    world = World()
    world.purge().run()
    again = world.purge().run()
    assert (again.contracts, again.journal_dates, again.claims) == (0, 0, 0)
    assert world.numbers() == ["VSC-LIVE-1", "VSC-OLD-03"]


def test_a_contradicted_seal_keeps_the_date_and_its_contracts() -> None:
    world = World()
    world.seals.put(ChainSeal.of(OLD_DAY, iter([fact(OLD_DAY, "VSC-OLD-01", "p1")]), NOW))  # sealed, then p2 added
    summary = world.purge().run()
    assert summary.kept_dates.keys() == {OLD_DAY} and "no longer gives the chain" in summary.kept_dates[OLD_DAY]
    assert world.journal.deleted == [] and len(world.numbers()) == 4 and len(world.claims.claims) == 2


def test_a_failed_seal_keeps_the_date_and_says_so() -> None:
    world = World()

    class Unreachable(MemorySeals):
        def put(self, seal: ChainSeal) -> bool:
            raise ConnectionError("evidence container unreachable")

    world.sealer = JournalSealer(world.journal, Unreachable(), lambda: NOW)
    summary = world.purge().run()
    assert "sealing failed (ConnectionError: evidence container unreachable)" in summary.kept_dates[OLD_DAY]
    assert world.journal.deleted == [] and len(world.numbers()) == 4


def test_a_run_that_crashed_part_way_finishes_when_run_again() -> None:
    world = World()

    class CrashOnContracts(MemoryContractStore):
        def delete(self, routing_keys: object) -> None:
            raise ConnectionError("storage went away")

    crashing = CrashOnContracts()
    crashing.records = world.contracts.records
    world.contracts, kept = crashing, world.contracts
    with pytest.raises(ConnectionError):
        world.purge().run()
    assert world.journal.deleted == [OLD_DAY] and len(world.claims.claims) == 1  # dates and claims went first
    world.contracts = kept
    summary = world.purge().run()
    assert (summary.contracts, summary.journal_dates, summary.claims) == (2, 0, 0)
    assert world.numbers() == ["VSC-LIVE-1", "VSC-OLD-03"]
