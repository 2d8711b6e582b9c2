"""A tampered day on Azurite, read as a privacy reviewer would: every report reconciliation writes (JSON, HTML, the
terminal table) and every `reconbreaks` row, open or resolved, is scanned for each customer name, VIN and postal
code of the day. None may appear, although the breaks name every tampered record, column and file."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient, ContainerClient

from function_app.adapters.reconciliation.page import render_html
from function_app.adapters.reconciliation.report import render_json, render_table
from function_app.bootstrap import Exchange, bootstrap
from function_app.config import Settings
from function_app.domain.kernel.journal import JournalFact
from function_app.domain.reconciliation.model import BreakKind, ReconciliationReport
from function_app.service_layer.delivery.jobs import DeliveryJob
from tests.events import contract
from tests.partners import DAY, NOON, Clock, config, decide, feed

PARTNER = "adm-01"
PERSONAL = ["customer_first_name", "customer_last_name", "vin", "customer_state", "customer_postal_code"]
FIELDS = ["record_type", "contract_number", *PERSONAL, "sale_date", "retail_price", "dealer_cost"]
FEEDS = {"csv": "csv", "fixed": "fixed", "jsonl": "jsonl", "headless": "csv"}  # feed name -> format
PARTNERS = config({"id": PARTNER, "name": "Admin One", "kind": "ADMINISTRATOR",
                   "feeds": [feed(name, format=fmt, fields=FIELDS) for name, fmt in FEEDS.items()]})
# distinctive, so that none is found by chance in a position, a hash or a timestamp; ZIP+4 for the same reason
CUSTOMERS = [("Aurelianne", "Quennevilliers", "60614-2718"), ("Bartholomeo", "Wexfordshire", "73301-4412"),
             ("Cordeliana", "Ysambertino", "98101-3307"), ("Desmondine", "Zolkiewskaya", "02134-5591")]


def customers_day(settings: Settings) -> tuple[Exchange, Clock]:
    clock = Clock(NOON)
    exchange = bootstrap(settings, partners=PARTNERS, clock=clock)
    decide(exchange, "contracts", [
        contract(f"VSC6{i:06d}", customer__first_name=first, customer__last_name=last, customer__postal_code=postal)
        for i, (first, last, postal) in enumerate(CUSTOMERS)
    ])
    clock.now = NOON + timedelta(hours=14)
    for name in FEEDS:
        exchange.delivery.deliver(DeliveryJob(PARTNER, name, DAY))
    return exchange, clock


def personal_values(facts: list[JournalFact]) -> set[str]:
    """Every name, VIN and postal code of the day, as the journal holds them."""
    found: set[str] = set()
    for fact in facts:
        contract_data = fact.data["contract"]
        customer = contract_data["customer"]
        found |= {customer["first_name"], customer["last_name"], customer["postal_code"],
                  contract_data["vehicle"]["vin"]}
    return found


def container(settings: Settings, name: str) -> ContainerClient:
    return BlobServiceClient.from_connection_string(settings.storage_connection or "").get_container_client(name)


def delivered(exchange: Exchange, feed_name: str) -> str:
    [file] = exchange.deliveries.files(PARTNER, feed_name)
    return file.blob_name


def tamper(exchange: Exchange, partner_files: ContainerClient, second_vin: str) -> dict[str, bytes]:
    """Each feed's file altered as an auditor would: a name edited and a forged row with a customer's name, VIN and
    postal code (csv); a VIN and an amount edited (fixed); a byte order mark (jsonl); the header taken out, so the
    first line the parser complains of is a customer's record (headless). Returns the originals."""
    originals = {name: partner_files.download_blob(delivered(exchange, name)).readall() for name in FEEDS}
    first, second = CUSTOMERS[0], CUSTOMERS[1]
    csv_lines = originals["csv"].decode().splitlines(keepends=True)
    forged = csv_lines[1].replace("VSC6000000", "VSC6999999").replace(first[0], "Forgedina")
    edited = {
        "csv": "".join([*csv_lines, forged]).replace(first[1], first[1] + "X", 1).encode(),
        "fixed": _fixed_edited(originals["fixed"].decode(), second_vin, second[2]).encode(),
        "jsonl": "\ufeff".encode() + originals["jsonl"],
        "headless": b"".join(originals["headless"].splitlines(keepends=True)[1:]),
    }
    for name, data in edited.items():
        partner_files.upload_blob(delivered(exchange, name), data, overwrite=True)
    return originals


def _fixed_edited(text: str, vin: str, postal_code: str) -> str:
    """In one record: the VIN's last character and the postal code's first digit changed, the retail price raised."""
    lines = text.split("\n")
    line = next(i for i, candidate in enumerate(lines) if vin in candidate)
    changed = lines[line].replace(vin, vin[:-1] + ("0" if vin[-1] != "0" else "1"))
    lines[line] = changed.replace(postal_code, "1" + postal_code[1:]).replace("2495.00", "2595.00")
    return "\n".join(lines)


def reports(exchange: Exchange, report: ReconciliationReport, run: str) -> None:
    """The reports exactly as the nightly timer writes them, one set per run."""
    base = f"reconciliation/{DAY:%Y/%m}/{DAY.isoformat()}-{run}"
    exchange.reports.write(base + ".json", render_json(report).encode("utf-8"), "application/json")
    exchange.reports.write(base + ".html", render_html(report).encode("utf-8"), "text/html; charset=utf-8")
    exchange.reports.write(base + ".txt", render_table(report).encode("utf-8"), "text/plain; charset=utf-8")


def everything_kept(settings: Settings) -> dict[str, str]:
    """Every report blob and every reconbreaks row (all its columns), as text, by where it is."""
    kept = {blob.name: container(settings, settings.reports_container).download_blob(blob.name).readall().decode()
            for blob in container(settings, settings.reports_container).list_blobs()}
    table = TableServiceClient.from_connection_string(settings.storage_connection or "").get_table_client(
        settings.breaks_table)
    for row in table.list_entities():
        kept[f"reconbreaks/{row['RowKey']}"] = json.dumps(dict(row), default=str, ensure_ascii=False)
    return kept


def leaks(kept: dict[str, str], values: set[str]) -> list[tuple[str, str]]:
    return [(where, value) for where, text in kept.items() for value in values if value.lower() in text.lower()]


def test_reports_and_breaks_of_a_tampered_day_hold_no_personal_value(storage_settings: Settings) -> None:
    exchange, clock = customers_day(storage_settings)
    facts = list(exchange.journal.read(DAY))
    values = personal_values(facts)
    assert len(values) == 4 * len(CUSTOMERS)
    partner_files = container(storage_settings, f"{storage_settings.namespace}partner-{PARTNER}")
    delivered_bytes = b"".join(partner_files.download_blob(delivered(exchange, n)).readall() for n in FEEDS)
    assert all(value.encode() in delivered_bytes for value in values), "the scan looks for what the files hold"

    second_vin = next(f.data["contract"]["vehicle"]["vin"] for f in facts if f.contract_number == "VSC6000001")
    originals = tamper(exchange, partner_files, second_vin)
    report = exchange.reconciliation.run(DAY)
    reports(exchange, report, "tampered")
    found = {(b.scope, b.kind) for b in report.breaks}
    assert {("adm-01/csv", BreakKind.RECORD_MISMATCH), ("adm-01/fixed", BreakKind.RECORD_MISMATCH),
            ("adm-01/fixed", BreakKind.AMOUNT_MISMATCH), ("adm-01/jsonl", BreakKind.UNREADABLE_FILE),
            ("adm-01/headless", BreakKind.UNREADABLE_FILE)} <= found
    [forged] = [b for b in report.breaks if b.key == "VSC6999999"]
    assert "customer_last_name (withheld)" in forged.detail and "retail_price" in forged.detail
    [renamed] = [b for b in report.breaks if b.scope == "adm-01/csv" and b.kind is BreakKind.RECORD_MISMATCH]
    assert renamed.key == "VSC6000000" and "in customer_last_name (values not shown)" in renamed.detail
    [revin] = [b for b in report.breaks if b.scope == "adm-01/fixed" and b.kind is BreakKind.RECORD_MISMATCH]
    assert "in vin, customer_postal_code (values not shown)" in revin.detail
    assert [b.kind for b in report.breaks if b.scope == "adm-01/jsonl"].count(BreakKind.MISSING) == 0
    assert "byte order mark" in next(b.detail for b in report.breaks if b.kind is BreakKind.UNREADABLE_FILE)
    assert leaks(everything_kept(storage_settings), values) == []

    for name, data in originals.items():
        partner_files.upload_blob(delivered(exchange, name), data, overwrite=True)
    clock.advance(hours=1)
    again = exchange.reconciliation.run(DAY)
    reports(exchange, again, "restored")
    assert again.agrees and len(again.resolved) == len(report.breaks), "every break found is resolved, once"
    kept = everything_kept(storage_settings)
    rows = [json.loads(text) for where, text in kept.items() if where.startswith("reconbreaks/")]
    assert len(rows) == len(report.breaks) and all(row["status"] == "RESOLVED" for row in rows)
    assert all(json.loads(row["break"])["detail"] == "" for row in rows), "a resolved break keeps no values"
    assert leaks(kept, values) == []


@pytest.mark.parametrize("value", ["Quennevilliers", "4T1BF1FK"])
def test_the_scan_finds_a_value_where_one_is(value: str) -> None:
    assert leaks({"somewhere": f"detail: {value}X in the file"}, {value}) == [("somewhere", value)]
