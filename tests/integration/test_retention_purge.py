"""The purge on Azurite: an old day is sealed into `evidence` before its journal date is deleted, its contracts and
claims go with it, and the day that remains still reconciles and seals."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from fnix.cli import main

from function_app.bootstrap import bootstrap
from function_app.config import Settings
from function_app.domain.claims.origin import ClaimOrigin
from function_app.domain.kernel.chain import ChainSeal
from function_app.domain.kernel.journal import JournalFact
from function_app.domain.retention.period import Retention
from function_app.service_layer.claims.ports import AcceptedClaim
from function_app.service_layer.kernel.ports import ContractChange, Journal, StoredContract
from function_app.service_layer.kernel.seals import SealOutcome, SealStore
from function_app.service_layer.retention.purge import RetentionPurge
from tests.events import body, contract
from tests.retention import fact, record

OLD_DAY, LIVE_DAY = date(2019, 1, 15), date(2025, 1, 15)
OLD = ["VSC-OLD-0001", "VSC-OLD-0002", "VSC-OLD-0003"]


class SealCheckingJournal(Journal):
    """The Table journal, noting at each date's deletion whether the date's seal was already in `evidence`."""

    def __init__(self, inner: Journal, seals: SealStore) -> None:
        self.inner, self.seals, self.sealed_when_deleted = inner, seals, dict[date, ChainSeal | None]()

    def append(self, facts: Sequence[JournalFact]) -> None:
        self.inner.append(facts)

    def read(self, business_date: date, after: str | None = None) -> Iterator[JournalFact]:
        return self.inner.read(business_date, after)

    def dates(self) -> Iterator[date]:
        return self.inner.dates()

    def delete_date(self, business_date: date) -> None:
        self.sealed_when_deleted[business_date] = self.seals.get(business_date)
        self.inner.delete_date(business_date)


def delivered_live_day(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = tmp_path / "c.jsonl"
    events.write_bytes(b"\n".join(body(contract(f"VSC92{i:05d}", administrator="ADM-01")) for i in range(5)))
    assert main(["replay", "--hub", "contracts", str(events)]) == 0
    assert main(["deliver", "--date", LIVE_DAY.isoformat(), "--settle-minutes", "0"]) == 0
    capsys.readouterr()


def test_a_purge_seals_the_old_day_before_deleting_it_and_what_remains_reconciles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], on_azurite: Settings
) -> None:
    delivered_live_day(tmp_path, capsys)
    exchange = bootstrap(replace(on_azurite, retention=Retention(730)))
    journal = SealCheckingJournal(exchange.journal, exchange.storage.seals)
    exchange = bootstrap(exchange.settings, journal=journal)
    for rec in [record(n, date(2017, 1, 1), 12) for n in OLD]:
        exchange.contracts.save([ContractChange(rec.contract_number, StoredContract(type(rec)(rec.contract_number)),
                                                rec)])
    old_facts = [fact(OLD_DAY, number, f"p{i}") for i, number in enumerate(OLD)]
    exchange.journal.append(old_facts)
    exchange.storage.claims_registry.add("ADM-01", [AcceptedClaim("CLM-OLD-1", "h", ClaimOrigin.parse("f#1"), OLD[0])])
    expected = ChainSeal.of(OLD_DAY, old_facts, datetime.now().astimezone())

    purge = RetentionPurge(exchange.contracts, journal, exchange.storage.claims_registry, exchange.sealer,
                           exchange.settings.retention, exchange.clock)
    preview = purge.preview()
    assert (preview.contracts, preview.journal_dates, preview.journal_facts, preview.claims) == (3, 1, 3, 1)
    assert exchange.storage.seals.get(OLD_DAY) is None, "a preview writes nothing"
    summary = purge.run()

    assert (summary.contracts, summary.journal_dates, summary.claims, summary.kept_dates) == (3, 1, 1, {})
    sealed = journal.sealed_when_deleted[OLD_DAY]
    assert sealed is not None and sealed.same_chain(expected), "the seal was in evidence before the date went"
    assert list(exchange.journal.read(OLD_DAY)) == [] and list(exchange.journal.dates()) == [LIVE_DAY]
    assert exchange.contracts.load(OLD, {}).contracts == {}
    assert exchange.storage.claims_registry.of_contracts(set(OLD)) == []
    assert len(exchange.contracts.load([f"VSC92{i:05d}" for i in range(5)], {}).contracts) == 5

    report = exchange.reconciliation.run(LIVE_DAY)
    assert report.agrees and not report.breaks
    assert exchange.sealer.seal(LIVE_DAY).outcome is SealOutcome.SEALED
    assert exchange.sealer.seal(LIVE_DAY).outcome is SealOutcome.ALREADY_SEALED
    assert purge.run().contracts == 0, "a second run finds nothing more"


