"""The journal's chain on Azurite: files delivered and the date sealed, then a fact entity edited in the journal
table itself. Reconciliation names it (a JOURNAL_CHAIN break at its position, on its contract, contradicted by the
seal and the manifests), sealing again says CONTRADICTED without stopping anything, and a clean day has no break."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from azure.data.tables import TableClient, TableServiceClient, UpdateMode

from function_app.adapters.kernel.journal_table import date_filter
from function_app.bootstrap import Exchange, bootstrap
from function_app.config import Settings
from function_app.domain.reconciliation.model import Break, BreakKind
from function_app.service_layer.delivery.jobs import DeliveryJob
from function_app.service_layer.kernel.seals import SealOutcome
from function_app.service_layer.reconciliation.sealing import seal_if_settled
from tests.partners import DAY, DEFAULT_PARTNERS, NOON, Clock, contracts_of_the_day, decide

NIGHT = NOON + timedelta(hours=14)  # 02:00 the next morning in Chicago: the date is settled


@pytest.fixture
def exchange(storage_settings: Settings) -> Exchange:
    exchange = bootstrap(storage_settings, partners=DEFAULT_PARTNERS, clock=Clock(NOON))
    decide(exchange, "contracts", list(contracts_of_the_day(8)))
    exchange.clock.now = NOON + timedelta(minutes=20)  # type: ignore[attr-defined]
    exchange.delivery.deliver(DeliveryJob("adm-01", "micro", DAY))
    exchange.clock.now = NIGHT  # type: ignore[attr-defined]
    for partner, feed in [("adm-01", "nightly"), ("oem-toyota", "nightly")]:
        exchange.delivery.deliver(DeliveryJob(partner, feed, DAY))
    return exchange


def journal_table(settings: Settings) -> TableClient:
    service = TableServiceClient.from_connection_string(settings.storage_connection or "")
    return service.get_table_client(settings.journal_table)


def seal(exchange: Exchange) -> SealOutcome | None:
    settings = exchange.settings
    result = seal_if_settled(exchange.sealer, DAY, settings.zone, settings.clock_skew, exchange.clock(),
                             exchange.storage.in_flight)
    return result.outcome if result else None


def chain_breaks(exchange: Exchange) -> list[Break]:
    report = exchange.reconciliation.run(DAY)
    assert list(report.journal_chain) == [b for b in report.breaks if b.kind is BreakKind.JOURNAL_CHAIN]
    return list(report.journal_chain)


def test_a_clean_day_is_sealed_once_and_reconciles_with_no_break(exchange: Exchange) -> None:
    assert seal_if_settled(exchange.sealer, DAY, exchange.settings.zone, exchange.settings.clock_skew, NOON) is None
    assert seal(exchange) is SealOutcome.SEALED
    report = exchange.reconciliation.run(DAY)
    assert report.agrees and report.journal_chain == ()
    assert seal(exchange) is SealOutcome.ALREADY_SEALED


def test_a_fact_edited_in_the_journal_table_is_named_by_the_seal_and_the_manifests(
    exchange: Exchange, storage_settings: Settings
) -> None:
    assert seal(exchange) is SealOutcome.SEALED
    table = journal_table(storage_settings)
    entities = sorted(table.query_entities(date_filter(DAY)), key=lambda e: e["RowKey"])
    target = entities[2]
    original = dict(target)
    data = json.loads(target["data"])
    data["contract"]["pricing"]["retail_price"] = "1.00"
    table.update_entity({**target, "data": json.dumps(data, sort_keys=True)}, mode=UpdateMode.REPLACE)

    assert seal(exchange) is SealOutcome.CONTRADICTED  # an outcome, not an exception
    [found] = chain_breaks(exchange)
    assert (found.key, found.contract_number) == (target["RowKey"], target["contract_number"])
    assert "differs from the seal of 2026-03-02" in found.detail and "edited" in found.detail
    assert "adm-01:outbound/nightly/2026/03/02/adm-01_nightly_20260302_001.txt" in found.detail
    customer, vin = data["contract"]["customer"]["last_name"], data["contract"]["vehicle"]["vin"]
    assert customer not in found.detail and vin not in found.detail
    assert [b.identity for b in chain_breaks(exchange)] == [found.identity], "the same break, run after run"

    table.update_entity(original, mode=UpdateMode.REPLACE)
    report = exchange.reconciliation.run(DAY)
    assert report.journal_chain == () and found.identity in {b.identity for b in report.resolved}


def test_a_fact_removed_before_the_date_was_sealed_is_still_contradicted_by_the_manifests(
    exchange: Exchange, storage_settings: Settings
) -> None:
    table = journal_table(storage_settings)
    last = max(table.query_entities(date_filter(DAY)), key=lambda e: e["RowKey"])
    table.delete_entity(last["PartitionKey"], last["RowKey"])
    assert seal(exchange) is SealOutcome.SEALED  # the seal can only hold what the journal gives by then
    found = chain_breaks(exchange)
    assert found and all(b.key.startswith(("adm-01:", "oem-toyota:")) for b in found)
    assert all("no longer gives the journal_chain" in b.detail for b in found)
