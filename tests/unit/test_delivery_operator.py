"""The delivery service as an operator drives it, over in-memory storage: held-back counts, dry runs, re-sends."""

from __future__ import annotations

from datetime import timedelta

import pytest

from function_app.adapters.kernel.memory import MemoryJournal
from function_app.service_layer.delivery.jobs import DeliveryJob
from function_app.service_layer.delivery.resend import ResendRefused
from function_app.service_layer.kernel.in_flight import WRITER_LIFETIME, InFlightWriter
from tests.partners import DAY, NOON, Clock, contracts_of_the_day, decide, memory_exchange


def test_resend_refuses_when_the_journal_no_longer_gives_the_delivered_bytes() -> None:
    clock = Clock(NOON)
    exchange = memory_exchange(clock=clock)
    decide(exchange, "contracts", list(contracts_of_the_day(6)))
    clock.now = NOON + timedelta(hours=14)
    [file] = exchange.delivery.deliver(DeliveryJob("oem-toyota", "nightly", DAY)).files
    files = exchange.partner_files
    assert files is not None
    original = files.read("oem-toyota", file.blob_name)
    assert exchange.delivery.resend("oem-toyota", file.blob_name).data == "UNCHANGED"
    files.write_data("oem-toyota", file.blob_name, [b"damaged"])
    assert exchange.delivery.resend("oem-toyota", file.blob_name).data == "WRITTEN"
    assert files.read("oem-toyota", file.blob_name) == original

    journal = exchange.journal
    assert isinstance(journal, MemoryJournal)
    del journal.facts[min(key for key in journal.facts if key[0] == DAY)]  # a fact the file holds, gone
    with pytest.raises(ResendRefused, match="nothing written"):
        exchange.delivery.resend("oem-toyota", file.blob_name)
    with pytest.raises(KeyError):
        exchange.delivery.resend("oem-toyota", "outbound/nightly/none.csv")


def test_a_run_counts_the_facts_a_writer_in_flight_holds_back_and_a_dry_run_writes_nothing() -> None:
    clock = Clock(NOON)
    exchange = memory_exchange(clock=clock)
    crashed = InFlightWriter("contracts-0003-crashed", NOON - timedelta(seconds=1), NOON + WRITER_LIFETIME)
    exchange.storage.in_flight.register(crashed)  # stamped before these facts, never committed, never released
    decide(exchange, "contracts", list(contracts_of_the_day(6)))
    job = DeliveryJob("oem-toyota", "nightly", DAY)
    clock.now = NOON + timedelta(minutes=5)  # the crashed writer still counts: its lifetime has not passed
    planned = exchange.delivery.deliver(job, dry_run=True)
    files = exchange.partner_files
    assert files is not None
    assert planned.files == [] and list(files.names("oem-toyota")) == [], "a dry run writes nothing"
    [claim] = planned.planned
    assert planned.held_back > 0 and exchange.delivery.planned_records(job, claim) == 0
    result = exchange.delivery.deliver(job)
    assert result.held_back == planned.held_back and [f.record_count for f in result.files] == [0]
    assert [f.blob_name for f in result.files] == [claim.blob_name]

    clock.now = NOON + timedelta(hours=14)
    later = exchange.delivery.deliver(job, dry_run=True)
    assert later.held_back == 0 and [exchange.delivery.planned_records(job, c) for c in later.planned] == [
        planned.held_back]
