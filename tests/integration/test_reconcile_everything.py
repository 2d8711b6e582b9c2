"""Reconciliation of everything under outbound/, on Azurite: each way a partner's container, a file, its manifest
or its delivery record is tampered with is caught with its own kind and names the blob (and field or line); a
delivery never overwrites a blob planted under its next name; a clean day reconciles with no break."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient, ContainerClient

from function_app.bootstrap import Exchange, bootstrap
from function_app.config import Settings
from function_app.domain.reconciliation.model import ReconciliationReport
from function_app.domain.reconciliation.source_of_record import SOURCE_OF_RECORD
from function_app.service_layer.delivery.jobs import DeliveryJob
from tests.partners import DAY, DEFAULT_PARTNERS, NOON, Clock, contracts_of_the_day, decide

NIGHT = NOON + timedelta(hours=14)
FEEDS = [("adm-01", "nightly"), ("adm-01", "micro"), ("oem-toyota", "nightly")]


@pytest.fixture
def exchange(storage_settings: Settings) -> Exchange:
    exchange = bootstrap(storage_settings, partners=DEFAULT_PARTNERS, clock=Clock(NOON))
    decide(exchange, "contracts", list(contracts_of_the_day(6)))
    exchange.clock.now = NIGHT  # type: ignore[attr-defined]
    for partner, feed in FEEDS:
        exchange.delivery.deliver(DeliveryJob(partner, feed, DAY), cut_now=True)
    return exchange


def container(settings: Settings, partner: str) -> ContainerClient:
    blobs = BlobServiceClient.from_connection_string(settings.storage_connection or "")
    return blobs.get_container_client(f"{settings.namespace}partner-{partner}")


def file_of(exchange: Exchange, partner: str, feed: str) -> str:
    [delivered] = exchange.deliveries.files(partner, feed)
    return delivered.blob_name


def found(report: ReconciliationReport) -> set[tuple[str, str]]:
    """The breaks about files, as (kind, key); the source of record is another matter (no back office here)."""
    return {(b.kind.value, b.key) for b in report.breaks if b.scope != SOURCE_OF_RECORD}


class Tamper:
    """Changes blobs and puts each back as it was."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.kept: list[tuple[str, str, bytes | None]] = []

    def put(self, partner: str, name: str, data: bytes) -> None:
        blobs = container(self.settings, partner)
        before = blobs.download_blob(name).readall() if blobs.get_blob_client(name).exists() else None
        self.kept.append((partner, name, before))
        blobs.upload_blob(name, data, overwrite=True)

    def manifest(self, partner: str, name: str, /, **fields: Any) -> None:
        document = json.loads(container(self.settings, partner).download_blob(name + ".manifest.json").readall())
        self.put(partner, name + ".manifest.json", json.dumps({**document, **fields}, indent=2).encode())

    def restore(self) -> None:
        for partner, name, data in reversed(self.kept):
            if data is None:
                container(self.settings, partner).delete_blob(name)
            else:
                container(self.settings, partner).upload_blob(name, data, overwrite=True)
        self.kept = []


@pytest.fixture
def tamper(storage_settings: Settings) -> Iterator[Tamper]:
    yield Tamper(storage_settings)


def test_a_clean_day_reconciles_with_no_file_break(exchange: Exchange) -> None:
    report = exchange.reconciliation.run(DAY)
    assert found(report) == set(), [b.detail for b in report.breaks]


def test_an_extra_file_and_a_copy_under_the_next_sequence_are_unknown(exchange: Exchange, tamper: Tamper) -> None:
    name = file_of(exchange, "adm-01", "nightly")
    copy = name.replace("_001.", "_002.")
    data = container(tamper.settings, "adm-01").download_blob(name).readall()
    tamper.put("adm-01", "outbound/nightly/2026/03/02/notes.txt", b"hello\n")
    tamper.put("adm-01", "outbound/readme.txt", b"hello\n")
    tamper.put("adm-01", copy, data)
    manifest = json.loads(container(tamper.settings, "adm-01").download_blob(name + ".manifest.json").readall())
    tamper.put("adm-01", copy + ".manifest.json", json.dumps({**manifest, "file": copy, "sequence": 2}).encode())
    report = exchange.reconciliation.run(DAY)
    assert found(report) == {("UNKNOWN_FILE", "outbound/nightly/2026/03/02/notes.txt"),
                             ("UNKNOWN_FILE", "outbound/readme.txt"), ("UNKNOWN_FILE", copy),
                             ("UNKNOWN_FILE", copy + ".manifest.json")}
    assert [b.scope for b in report.outbound] == ["adm-01/outbound"]

    exchange.clock.now = NIGHT + timedelta(hours=1)  # type: ignore[attr-defined]
    decide(exchange, "contracts", [next(contracts_of_the_day(1, prefix="LATE"))], start=100)
    exchange.clock.now = NIGHT + timedelta(hours=2)  # type: ignore[attr-defined]
    result = exchange.delivery.deliver(DeliveryJob("adm-01", "nightly", DAY))
    assert result.files == [] and "stopped" in result.note
    assert container(tamper.settings, "adm-01").download_blob(copy).readall() == data, "never overwritten"
    assert ("UNKNOWN_FILE", copy) in found(exchange.reconciliation.run(DAY)), "a claim does not make it the exchange's"


def test_bytes_edited_with_the_manifest_hash_fixed_are_a_content_mismatch(exchange: Exchange, tamper: Tamper) -> None:
    name = file_of(exchange, "oem-toyota", "nightly")
    data = container(tamper.settings, "oem-toyota").download_blob(name).readall()
    lines = data.split(b"\n")
    edited = b"\n".join([lines[0], lines[1].replace(b",", b";", 1), *lines[2:]])
    tamper.put("oem-toyota", name, edited)
    tamper.manifest("oem-toyota", name, sha256=hashlib.sha256(edited).hexdigest())
    report = exchange.reconciliation.run(DAY)
    [content] = [b for b in report.breaks if b.kind.value == "CONTENT_MISMATCH"]
    assert content.key == name and "line 2 differs from byte" in content.detail
    assert ("MANIFEST_MISMATCH", f"{name}.manifest.json#sha256") in found(report)
    tamper.restore()
    assert found(exchange.reconciliation.run(DAY)) == set()


@pytest.mark.parametrize(("feed", "change", "said"), [
    ("nightly", lambda lines: [lines[0], lines[2], lines[1], *lines[3:]], "in another order from line 2"),
    ("nightly", lambda lines: [lines[0], *lines[1:-2], lines[-2].replace(b"T", b"X", 1), lines[-1]],
     "(the trailer record)"),
    ("nightly", lambda lines: [lines[0][:-1] + b"9", *lines[1:]], "line 1 (the header record)"),
    ("micro", lambda lines: [line + b"\r" for line in lines[:-1]] + [lines[-1]], "ends in CRLF"),
])
def test_reordering_a_trailer_a_header_and_crlf_are_each_a_content_mismatch(
    exchange: Exchange, tamper: Tamper, feed: str, change: Any, said: str
) -> None:
    name = file_of(exchange, "adm-01", feed)
    lines = container(tamper.settings, "adm-01").download_blob(name).readall().split(b"\n")
    edited = b"\n".join(change(lines))
    tamper.put("adm-01", name, edited)
    tamper.manifest("adm-01", name, sha256=hashlib.sha256(edited).hexdigest(), bytes=len(edited))
    report = exchange.reconciliation.run(DAY)
    [content] = [b for b in report.breaks if b.kind.value == "CONTENT_MISMATCH"]
    assert content.key == name and said in content.detail, content.detail


def test_an_edited_manifest_field_is_named_with_its_field(exchange: Exchange, tamper: Tamper) -> None:
    name = file_of(exchange, "adm-01", "nightly")
    tamper.manifest("adm-01", name, sequence="1", partner="adm-02", note="added")
    report = exchange.reconciliation.run(DAY)
    manifest = name + ".manifest.json"
    assert found(report) == {("MANIFEST_MISMATCH", f"{manifest}#{field}") for field in ("sequence", "partner", "note")}
    details = {b.key: b.detail for b in report.breaks}
    assert "is a JSON string, the exchange writes a integer" in details[f"{manifest}#sequence"]
    assert "adm-02" not in details[f"{manifest}#partner"], "the found value is not quoted"
    container(tamper.settings, "adm-01").delete_blob(manifest)
    assert found(exchange.reconciliation.run(DAY)) == {("MANIFEST_MISMATCH", manifest)}


def test_a_deleted_delivery_record_is_named_at_once_not_late(exchange: Exchange, storage_settings: Settings) -> None:
    name = file_of(exchange, "adm-01", "nightly")
    tables = TableServiceClient.from_connection_string(storage_settings.storage_connection or "")
    table = tables.get_table_client(storage_settings.deliveries_table)
    [record] = [e for e in table.query_entities("RowKey ge 'file|' and RowKey lt 'file~'")
                if json.loads(e["file"])["blob_name"] == name]
    table.delete_entity(record["PartitionKey"], record["RowKey"])
    for late in (timedelta(0), timedelta(days=2)):
        exchange.clock.now = NIGHT + late  # type: ignore[attr-defined]
        report = exchange.reconciliation.run(DAY)
        nightly = [b for b in report.breaks if b.scope == "adm-01/nightly"]
        assert {(b.kind.value, b.key) for b in nightly} == {("DELIVERY_RECORD_MISMATCH", name)}
        assert exchange.reconciliation.pending["adm-01/nightly"] == 0


def test_a_delivery_record_edited_is_named(exchange: Exchange, storage_settings: Settings) -> None:
    name = file_of(exchange, "oem-toyota", "nightly")
    tables = TableServiceClient.from_connection_string(storage_settings.storage_connection or "")
    table = tables.get_table_client(storage_settings.deliveries_table)
    [record] = [e for e in table.query_entities("RowKey ge 'file|' and RowKey lt 'file~'")
                if json.loads(e["file"])["blob_name"] == name]
    table.upsert_entity({**record, "file": json.dumps({**json.loads(record["file"]), "sha256": "0" * 64})})
    report = exchange.reconciliation.run(DAY)
    [broken] = [b for b in report.breaks if b.kind.value == "DELIVERY_RECORD_MISMATCH"]
    assert broken.key == name and f"sha256 {'0' * 64} in the record" in broken.detail
    assert found(report) == {("DELIVERY_RECORD_MISMATCH", name)}
