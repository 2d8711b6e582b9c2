"""Every writer of journal facts is registered in flight before it stamps a position and released once its facts
are committed: each fact reaches the journal while a live entry at or before its stamp holds delivery back."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from function_app.adapters.delivery.memory import MemoryPartnerFiles
from function_app.adapters.kernel.in_flight_memory import MemoryInFlight
from function_app.adapters.kernel.memory import MemoryJournal
from function_app.adapters.memory_storage import memory_storage
from function_app.bootstrap import Exchange, bootstrap
from function_app.config import load_settings
from function_app.domain.kernel.journal import JournalFact
from function_app.domain.kernel.partners import PartnerConfig
from function_app.service_layer.claims import service as claims_intake
from function_app.service_layer.delivery.feed_facts import decided_at_position
from function_app.service_layer.kernel.in_flight import WRITER_LIFETIME
from function_app.service_layer.kernel.ports import RenderedFact
from tests.events import cancellation, contract, messages
from tests.partners import DEFAULT_PARTNERS, NOON, Clock, config, feed


class WatchedJournal(MemoryJournal):
    """Checks at every append that a live writer in flight registered at or before each new fact's stamp."""

    def __init__(self, in_flight: MemoryInFlight, clock: Clock, fail: bool = False) -> None:
        super().__init__()
        self.in_flight, self.clock, self.fail = in_flight, clock, fail
        self.appends = 0

    def _check(self, facts: Sequence[JournalFact]) -> None:
        lowest = self.in_flight.lowest(self.clock())
        new = [f for f in facts if (f.business_date, f.position) not in self.facts  # a redelivery's are stored
               and (f.business_date, f.position) not in self.rendered]
        assert facts and lowest is not None
        assert lowest <= min((decided_at_position(f.position) for f in new), default=lowest)
        self.appends += 1
        if self.fail:
            raise ConnectionError("the journal's table is unreachable")

    def append(self, facts: Sequence[JournalFact]) -> None:
        self._check(facts)
        super().append(facts)

    def append_rendered(self, facts: Sequence[RenderedFact]) -> None:  # a claims chunk's
        self._check([JournalFact.from_json(json.loads(f.text)) for f in facts])
        super().append_rendered(facts)


def watched(clock: Clock, fail: bool = False, partners: PartnerConfig = DEFAULT_PARTNERS
            ) -> tuple[Exchange, WatchedJournal]:
    storage = memory_storage()
    assert isinstance(storage.in_flight, MemoryInFlight)
    journal = WatchedJournal(storage.in_flight, clock, fail)
    return bootstrap(load_settings({}), storage=storage, journal=journal, clock=clock, partners=partners), journal


def test_a_real_time_batch_is_in_flight_while_it_writes_and_released_after_two_table_writes() -> None:
    clock = Clock(NOON)
    exchange, journal = watched(clock)
    exchange.realtime.process(messages("contracts", [contract("VSC8000001"), contract("VSC8000002")], at=NOON))
    exchange.realtime.process(messages("cancellations", [cancellation("VSC8000001")], at=NOON))
    in_flight = exchange.storage.in_flight
    assert isinstance(in_flight, MemoryInFlight)
    assert journal.appends == 2 and in_flight.entries == {} and in_flight.writes == 4


def test_under_load_a_full_batch_costs_one_write_its_successor_replacing_its_entry() -> None:
    clock = Clock(NOON)
    exchange, journal = watched(clock)
    in_flight = exchange.storage.in_flight
    assert isinstance(in_flight, MemoryInFlight)
    full = [contract(f"VSC81{i:05d}") for i in range(100)]
    exchange.realtime.process(messages("contracts", full, at=NOON), more_waiting=True)  # as the trigger says
    [left] = in_flight.live(NOON)
    assert (in_flight.writes, left.lowest) == (1, NOON), "more events wait: the next batch replaces the entry"
    clock.advance(seconds=1)
    exchange.realtime.process(messages("contracts", [*full[:40], contract("VSC8200000")], start=100, at=NOON))
    assert in_flight.writes == 3 and in_flight.entries == {}, "a batch that is not full is released"
    assert journal.appends == 2


def test_a_batch_that_fails_before_its_commit_holds_delivery_back_and_its_retry_keeps_its_stamp() -> None:
    clock = Clock(NOON)
    exchange, journal = watched(clock, fail=True)
    batch = messages("contracts", [contract("VSC8000003")], at=NOON)
    with pytest.raises(ConnectionError):
        exchange.realtime.process(batch)
    in_flight = exchange.storage.in_flight
    [left] = in_flight.live(NOON)
    assert left.lowest == NOON and left.expires_at == NOON + WRITER_LIFETIME
    assert in_flight.lowest(NOON + WRITER_LIFETIME) is None, "a dead writer counts no longer than it can live"
    clock.advance(minutes=2)
    journal.fail = False
    exchange.realtime.process(batch)  # the retry appends the facts stamped at NOON: registered from NOON again
    assert journal.appends == 2 and in_flight.live(clock()) == []


HEADER = ("claim_number,contract_number,repair_order,failure_date,odometer,labor_amount,parts_amount,tax_amount,"
          "total_amount,repair_facility_code,cause")
NAME = "inbound/claims/adm-01_claims_20260302_001.csv"
CLAIMS_PARTNERS = config({"id": "adm-01", "name": "Admin One", "kind": "ADMINISTRATOR", "administrator_code": "ADM-01",
                          "feeds": [feed("claims", facts=["claims"], sla="PT5M",
                                         fields=["record_type", "contract_number", "claim_number"])]})


def upload(exchange: Exchange, count: int) -> None:
    rows = [f"CLM-7{i:05d},VSC8000010,RO-1,2025-06-01,20000,100.00,40.00,10.00,150.00,FAC-9,pump" for i in range(count)]
    data = ("\n".join([HEADER, *rows]) + "\n").encode()
    manifest = {"record_count": count, "total_amount": f"{150 * count}.00", "sha256": hashlib.sha256(data).hexdigest()}
    files = exchange.partner_files
    assert isinstance(files, MemoryPartnerFiles)
    files.put("adm-01", NAME, data)  # what the partner uploads
    files.put("adm-01", NAME + ".manifest.json", json.dumps(manifest).encode())


def test_a_claims_file_is_in_flight_from_each_checkpoint_paused_or_not_and_released_when_answered(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(claims_intake, "CHUNK_ROWS", 2)
    clock = Clock(datetime(2026, 3, 2, 15, tzinfo=UTC))
    exchange, journal = watched(clock, partners=CLAIMS_PARTNERS)
    exchange.realtime.process(messages("contracts", [contract("VSC8000010", administrator="ADM-01")], at=clock()))
    upload(exchange, 5)
    clock.advance(minutes=1)
    [paused] = exchange.claims.scan("adm-01", pause=lambda: True)
    assert paused.status == "PAUSED"
    [held] = exchange.storage.in_flight.live(clock())
    assert held.writer.startswith("claims-adm-01-") and held.lowest == clock(), "the next chunk's stamp, held"
    clock.advance(seconds=30)
    [done] = exchange.claims.scan("adm-01")
    assert done.status == "DONE" and done.counts["ACCEPTED"] == 5
    assert journal.appends == 1 + 3 and exchange.storage.in_flight.live(clock()) == []
