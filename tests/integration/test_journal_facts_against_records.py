"""Journal facts against the exchange's records, on Azurite: an amount edited in a fact entity of the journal table,
on a contract no partner feed carries and on a date nothing has sealed yet (so neither a file nor the chain can
tell), is an AMOUNT_MISMATCH naming the contract and the field; a fact entity forged on a contract the exchange
never held is MISSING; both resolve once the table is put back, and a clean day has none."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from azure.data.tables import TableClient, TableServiceClient, UpdateMode

from function_app.adapters.kernel.journal_table import date_filter
from function_app.bootstrap import Exchange, bootstrap
from function_app.config import Settings
from function_app.domain.reconciliation.model import Break, BreakKind
from tests.partners import DAY, NOON, Clock, config, contracts_of_the_day, decide, feed

TOYOTA_ONLY = config({"id": "oem-toyota", "name": "Toyota", "kind": "OEM",
                      "feeds": [feed("nightly", filter={"oems": ["TOYOTA"]})]})
HONDA = "VSC7000001"  # contracts_of_the_day alternates TOYOTA and HONDA: the feed above never carries it


@pytest.fixture
def exchange(storage_settings: Settings) -> Exchange:
    exchange = bootstrap(storage_settings, partners=TOYOTA_ONLY, clock=Clock(NOON))
    decide(exchange, "contracts", list(contracts_of_the_day(4)))
    return exchange


@pytest.fixture
def journal(storage_settings: Settings) -> Iterator[TableClient]:
    with TableServiceClient.from_connection_string(storage_settings.storage_connection or "") as service:
        yield service.get_table_client(storage_settings.journal_table)


def entity_of(journal: TableClient, number: str) -> dict[str, Any]:
    [entity] = [e for e in journal.query_entities(date_filter(DAY))
                if e["contract_number"] == number]
    return dict(entity)


def fact_breaks(exchange: Exchange) -> list[Break]:
    """The breaks of facts against their records: keyed `<contract>@<position>`."""
    return [b for b in exchange.reconciliation.run(DAY).source_of_record if "@" in b.key]


def test_a_clean_day_has_no_fact_against_its_record(exchange: Exchange) -> None:
    assert fact_breaks(exchange) == []


def test_an_amount_edited_in_the_journal_table_is_an_amount_mismatch_then_resolved(
    exchange: Exchange, journal: TableClient
) -> None:
    original = entity_of(journal, HONDA)
    data = json.loads(original["data"])
    kept = data["contract"]["pricing"]["dealer_cost"]
    data["contract"]["pricing"]["dealer_cost"] = "1.00"
    journal.update_entity({**original, "data": json.dumps(data, sort_keys=True)}, mode=UpdateMode.REPLACE)

    report = exchange.reconciliation.run(DAY)
    assert all(f.agrees for f in report.feeds if f.file_names), "no file carries the contract"
    [found] = [b for b in report.source_of_record if "@" in b.key]
    assert (found.kind, found.key, found.contract_number) == (
        BreakKind.AMOUNT_MISMATCH, f"{HONDA}@{original['RowKey']}", HONDA)
    assert f"contract.pricing.dealer_cost '1.00' in the journal, '{kept}' in the exchange's record" in found.detail
    customer, vin = data["contract"]["customer"]["last_name"], data["contract"]["vehicle"]["vin"]
    assert customer not in found.detail and vin not in found.detail
    assert [b.identity for b in fact_breaks(exchange)] == [found.identity], "the same break, run after run"

    journal.update_entity(original, mode=UpdateMode.REPLACE)
    restored = exchange.reconciliation.run(DAY)
    assert [b for b in restored.source_of_record if "@" in b.key] == []
    assert found.identity in {b.identity for b in restored.resolved}


def test_a_fact_entity_forged_on_a_contract_the_exchange_never_held_is_missing(
    exchange: Exchange, journal: TableClient
) -> None:
    genuine = entity_of(journal, HONDA)
    data = json.loads(genuine["data"])
    data["contract"]["contract_number"] = "VSC7999999"
    forged = {**genuine, "RowKey": genuine["RowKey"][:-8] + "f0f0f0f0", "contract_number": "VSC7999999",
              "data": json.dumps(data, sort_keys=True)}
    journal.create_entity(forged)

    [missing] = fact_breaks(exchange)
    assert (missing.kind, missing.key, missing.contract_number) == (
        BreakKind.MISSING, f"VSC7999999@{forged['RowKey']}", "VSC7999999")
    assert "the exchange holds no record of its contract" in missing.detail
