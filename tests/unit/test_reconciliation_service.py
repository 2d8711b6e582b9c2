"""Reconciliation over in-memory storage: files that carry late facts of other dates are no false breaks,
a tampered file is named, and a break clears once the file is right again."""

from __future__ import annotations

from datetime import timedelta

from function_app.service_layer.delivery.jobs import DeliveryJob
from tests.partners import DAY, NOON, Clock, contracts_of_the_day, decide, memory_exchange

NIGHT = NOON + timedelta(hours=14)


def test_two_nights_with_a_late_fact_agree_and_a_tampered_file_is_named_then_cleared() -> None:
    clock = Clock(NOON)
    exchange = memory_exchange(clock=clock)
    decide(exchange, "contracts", list(contracts_of_the_day(5)))
    clock.now = NIGHT
    exchange.delivery.deliver(DeliveryJob("adm-01", "nightly", DAY))
    clock.now = NIGHT + timedelta(hours=1)
    decide(exchange, "contracts", [next(contracts_of_the_day(1, prefix="LATE"))], start=100)
    clock.now = NIGHT + timedelta(days=1)
    next_day = DAY + timedelta(days=1)
    exchange.delivery.deliver(DeliveryJob("adm-01", "nightly", next_day))
    exchange.delivery.deliver(DeliveryJob("oem-toyota", "nightly", DAY))
    first, second = exchange.reconciliation.run(DAY), exchange.reconciliation.run(next_day)
    for report in (first, second):
        delivered = [f for f in report.feeds if f.feed == "nightly"]
        assert all(f.agrees for f in delivered), [b.detail for f in delivered for b in f.breaks]
    never_run = next(f for f in first.feeds if f.feed == "micro")
    assert {b.kind.value for b in never_run.breaks} == {"LATE"}, "a feed that never delivered is late"
    assert {b.kind.value for b in first.source_of_record} == {"MISSING"}, "no back-office rows after the grace"
    assert len(first.source_of_record) == 5, "the late contract is still within its grace"

    files = exchange.partner_files
    name = exchange.deliveries.files("adm-01", "nightly")[0].blob_name
    original = files.read("adm-01", name)
    lines = original.decode().splitlines(keepends=True)
    files.write_data("adm-01", name, ["".join([lines[0], *lines[2:]]).encode()])  # one record gone
    tampered = exchange.reconciliation.run(DAY)
    missing = [b for b in tampered.breaks if b.kind.value == "MISSING" and b.scope == "adm-01/nightly"]
    assert [b.contract_number for b in missing] == ["VSC7000000"]
    files.write_data("adm-01", name, [original])
    restored = exchange.reconciliation.run(DAY)
    assert all(f.agrees for f in restored.feeds if f.feed == "nightly")
    assert {b.identity for b in restored.resolved} >= {b.identity for b in missing}
