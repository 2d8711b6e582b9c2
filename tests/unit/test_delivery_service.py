"""Partner delivery over in-memory storage: once, complete, deterministic, late facts in the next file. A job
killed half-way and two workers on one job are in tests/contracts, on every set of adapters."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import timedelta

import pytest

from function_app.bootstrap import Exchange
from function_app.domain.kernel.feed_mode import FeedMode
from function_app.service_layer.delivery.jobs import DeliveryJob
from function_app.service_layer.kernel.in_flight import WRITER_LIFETIME, InFlightWriter
from tests.partners import DAY, NOON, Clock, cancellation, contracts_of_the_day, decide, memory_exchange

NIGHT = NOON + timedelta(hours=14)  # 02:00 the next morning in Chicago


def night_exchange(count: int = 10) -> tuple[Exchange, Clock]:
    clock = Clock(NOON)
    exchange = memory_exchange(clock=clock)
    decide(exchange, "contracts", list(contracts_of_the_day(count)))
    clock.now = NIGHT
    return exchange, clock


def blob(exchange: Exchange, partner: str, name: str) -> bytes:
    return exchange.partner_files.read(partner, name)


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_nightly_file_has_each_subscribed_fact_once_with_a_true_manifest() -> None:
    exchange, _ = night_exchange(10)
    result = exchange.delivery.deliver(DeliveryJob("oem-toyota", "nightly", DAY))
    [file] = result.files
    assert file.blob_name == "outbound/nightly/2026/03/02/oem-toyota_nightly_20260302_001.csv"
    data = blob(exchange, "oem-toyota", file.blob_name)
    rows = csv_rows(data)
    assert len(rows) == 5 and {r["oem"] for r in rows} == {"TOYOTA"}
    assert all(r["customer_last_name"].endswith(".") for r in rows), "masked PII: initials only"
    manifest = json.loads(blob(exchange, "oem-toyota", file.blob_name + ".manifest.json"))
    assert manifest["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["bytes"] == len(data) and manifest["record_count"] == 5
    assert manifest["control_totals"]["retail_price"] == f"{5 * 2495:.2f}"
    assert manifest["lineage"]["first_position"] <= manifest["lineage"]["last_position"]
    assert {k: manifest[k] for k in ("partner", "feed", "business_date", "sequence", "format")} == {
        "partner": "oem-toyota", "feed": "nightly", "business_date": "2026-03-02", "sequence": 1, "format": "csv"}


def test_rerun_for_a_date_writes_nothing_and_changes_no_byte() -> None:
    exchange, clock = night_exchange(6)
    job = DeliveryJob("adm-01", "nightly", DAY)
    [first] = exchange.delivery.deliver(job).files
    files = dict(exchange.partner_files.blobs)  # type: ignore[attr-defined]
    clock.advance(hours=3)
    again = exchange.delivery.deliver(job)
    assert again.files == [] and "nothing new" in again.note
    assert exchange.partner_files.blobs == files  # type: ignore[attr-defined]
    assert first.record_count == 6


def test_a_late_fact_goes_into_the_next_file_never_twice() -> None:
    exchange, clock = night_exchange(4)
    exchange.delivery.deliver(DeliveryJob("adm-01", "nightly", DAY))
    clock.now = NIGHT + timedelta(hours=1)
    decide(exchange, "contracts", [next(contracts_of_the_day(1, prefix="LATE"))], start=100)  # backlog of DAY
    clock.now = NIGHT + timedelta(days=1)
    [next_file] = exchange.delivery.deliver(DeliveryJob("adm-01", "nightly", DAY + timedelta(days=1))).files
    assert next_file.record_count == 1
    text = blob(exchange, "adm-01", next_file.blob_name).decode()
    assert "LATE000000" in text
    assert [f.record_count for f in exchange.deliveries.files("adm-01", "nightly")] == [4, 1]


def test_a_daily_feed_gets_a_file_even_on_a_quiet_night() -> None:
    exchange = memory_exchange(clock=Clock(NIGHT))
    [file] = exchange.delivery.deliver(DeliveryJob("adm-01", "nightly", DAY)).files
    assert file.record_count == 0
    lines = blob(exchange, "adm-01", file.blob_name).decode().splitlines()
    assert lines[0].startswith("H") and lines[-1].startswith("T") and len({len(line) for line in lines}) == 1


def test_same_facts_give_byte_identical_files() -> None:
    outputs = []
    for _ in range(2):
        exchange, _ = night_exchange(7)
        [file] = exchange.delivery.deliver(DeliveryJob("adm-01", "nightly", DAY)).files
        outputs.append(blob(exchange, "adm-01", file.blob_name))
    assert outputs[0] == outputs[1]


def test_micro_batch_cuts_by_sla_and_early_by_size() -> None:
    clock = Clock(NOON)
    exchange = memory_exchange(clock=clock)
    decide(exchange, "contracts", list(contracts_of_the_day(2)))
    clock.advance(minutes=20)
    job = DeliveryJob("adm-01", "micro", DAY)
    assert [f.record_count for f in exchange.delivery.deliver(job).files] == [2]
    decide(exchange, "contracts", list(contracts_of_the_day(2, prefix="MIC")), start=10)
    clock.advance(minutes=3)
    assert exchange.delivery.deliver(job).files == [], "two waiting, under the size trigger, SLA not yet near"
    writer = InFlightWriter("cancellations-0000-slow", clock.now, clock.now + WRITER_LIFETIME)
    exchange.storage.in_flight.register(writer)  # a batch that stamps these two and has not committed them yet
    decide(exchange, "cancellations", [cancellation("MIC000000"), cancellation("MIC000001")], start=20)
    clock.advance(minutes=3)
    assert exchange.delivery.deliver(job).files == [], "a fact a writer in flight may still precede does not count"
    exchange.storage.in_flight.release(writer.writer)  # committed: delivered at once, no margin of minutes
    [file] = exchange.delivery.deliver(job).files
    assert (file.sequence, file.record_count) == (2, 4)


def test_due_jobs_by_mode() -> None:
    exchange = memory_exchange(clock=Clock(NIGHT))
    daily = exchange.delivery.due(FeedMode.DAILY, NIGHT)
    assert [(j.partner, j.feed, j.business_date) for j in daily] == [("oem-toyota", "nightly", DAY),
                                                                     ("adm-01", "nightly", DAY)]
    assert [(j.partner, j.feed) for j in exchange.delivery.due(FeedMode.MICRO, NIGHT)] == [("adm-01", "micro")]


def test_unknown_feed_is_a_clear_error() -> None:
    exchange = memory_exchange()
    with pytest.raises(KeyError, match="no feed 'weekly' for partner 'adm-01'"):
        exchange.delivery.deliver(DeliveryJob("adm-01", "weekly", DAY))


def test_back_office_facts_reach_a_feed_that_subscribes_to_them() -> None:
    from tests.partners import config, feed

    partners = config({"id": "adm-09", "name": "Claims desk", "kind": "ADMINISTRATOR", "feeds": [
        feed("claims", facts=["claims", "status_changes"], format="csv",
             fields=["record_type", "contract_number", "claim_number", "claim_paid_amount", "back_office_status",
                     "claims_paid_total"])]})
    clock = Clock(NOON)
    exchange = memory_exchange(partners, clock=clock)
    decide(exchange, "contracts", list(contracts_of_the_day(1)))
    paid = {"claim_number": "CLM-000001", "contract_number": "VSC7000000", "status": "PAID",
            "paid_amount": "412.37", "paid_date": "2026-03-02"}
    claim = {"payload": {"before": None, "after": paid,
                         "source": {"table": "claims", "commit_lsn": "0000002a:00000a10:0003",
                                    "change_lsn": "0000002a:00000a10:0002", "event_serial_no": 1, "ts_ms": 0},
                         "op": "c"}}
    status = {"payload": {"before": None, "after": {"contract_number": "VSC7000000", "status": "SUSPENDED"},
                          "source": {"table": "contracts", "commit_lsn": "0000002a:00000a11:0001",
                                     "change_lsn": "0000002a:00000a11:0001", "event_serial_no": 1, "ts_ms": 0},
                          "op": "u"}}
    decide(exchange, "policy-admin-cdc", [claim, status], start=50)
    clock.now = NIGHT
    [file] = exchange.delivery.deliver(DeliveryJob("adm-09", "claims", DAY)).files
    rows = csv_rows(blob(exchange, "adm-09", file.blob_name))
    assert [(r["record_type"], r["claim_paid_amount"], r["back_office_status"]) for r in rows] == [
        ("CLAIM_PAID", "412.37", ""), ("STATUS_CHANGED", "", "SUSPENDED")]
    assert rows[0]["claims_paid_total"] == "412.37"
