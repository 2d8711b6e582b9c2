"""Inbound claims files on Azurite: manifest first, every row answered, once, resumable, partner-scoped."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from azure.storage.blob import ContainerClient

from function_app.bootstrap import Exchange, bootstrap
from function_app.config import Settings
from function_app.domain.claims.results import ResultsManifest
from function_app.domain.kernel.journal import FactKind, JournalFact
from function_app.service_layer.claims import service as claims_intake
from function_app.service_layer.claims.ports import AcceptedClaim, BlobChanged, ClaimsInbox, ClaimsRegistry
from function_app.service_layer.delivery.jobs import DeliveryJob
from function_app.service_layer.kernel.ports import Journal
from tests.conftest import blob_service
from tests.events import contract, messages
from tests.partners import Clock, config, feed

HEADER = ("claim_number,contract_number,repair_order,failure_date,odometer,labor_amount,parts_amount,tax_amount,"
          "total_amount,repair_facility_code,cause")
NAME = "inbound/claims/adm-01_claims_20260302_001.csv"


@pytest.fixture
def exchange(storage_settings: Settings) -> Exchange:
    current = bootstrap(storage_settings)
    current.realtime.process(messages("contracts", [
        contract("VSC2501150001"), contract("VSC2501150002", administrator="ADM-02"),
    ]))
    return current


def container(exchange: Exchange, partner: str = "adm-01") -> ContainerClient:
    service = blob_service(exchange.settings)
    client = service.get_container_client(f"{exchange.settings.namespace}partner-{partner}")
    if not client.exists():
        client.create_container()
    return client


def row(claim: str, contract_number: str = "VSC2501150001", total: str = "150.00", cause: str = "water pump") -> str:
    return f"{claim},{contract_number},RO-1,2025-06-01,20000,100.00,40.00,10.00,{total},FAC-9,{cause}"


def upload(exchange: Exchange, rows: Sequence[str], *, name: str = NAME, manifest: bool = True,
           tamper: dict[str, object] | None = None, partner: str = "adm-01") -> bytes:
    data = ("\n".join([HEADER, *rows]) + "\n").encode()
    target = container(exchange, partner)
    target.upload_blob(name, data, overwrite=True)
    if manifest:
        totals = sum(Decimal(r.split(",")[8]) for r in rows if r.count(",") == 10 and r.split(",")[8][:1].isdigit())
        document = {"record_count": len(rows), "total_amount": f"{totals:.2f}",
                    "sha256": hashlib.sha256(data).hexdigest(), **(tamper or {})}
        target.upload_blob(name + ".manifest.json", json.dumps(document), overwrite=True)
    return data


def results(exchange: Exchange, name: str = NAME, partner: str = "adm-01") -> list[list[str]]:
    text = container(exchange, partner).download_blob(claims_intake.results_name(name)).readall().decode()
    return [line.split(",") for line in text.splitlines()]


def claim_facts(exchange: Exchange) -> list[JournalFact]:
    """Claim facts take the business date of when their chunk was decided: today (or yesterday) where the business
    is."""
    today = datetime.now(exchange.settings.zone).date()
    days = {today, today - timedelta(days=1)}
    return [f for d in days for f in exchange.journal.read(d) if f.kind is FactKind.CLAIM_SUBMITTED]


def test_a_file_waits_for_its_manifest_then_every_row_is_answered(exchange: Exchange) -> None:
    upload(exchange, [row("CLM-000001"), row("CLM-000002", total="1.00"), row("CLM-000003", "VSC2501150002"),
                      row("CLM-000004", "VSC9999999"), row("CLM-000001"), "garbage"], manifest=False)
    [waiting] = exchange.claims.scan("adm-01")
    assert waiting.status == "WAITING"
    upload(exchange, [row("CLM-000001"), row("CLM-000002", total="1.00"), row("CLM-000003", "VSC2501150002"),
                      row("CLM-000004", "VSC9999999"), row("CLM-000001"), "garbage"])
    [done] = exchange.claims.scan("adm-01")
    assert done.status == "DONE"
    lines = results(exchange)
    assert lines[0] == ["row", "claim_number", "status", "reasons"]
    assert [(r[0], r[2], r[3]) for r in lines[1:]] == [
        ("1", "ACCEPTED", ""), ("2", "REJECTED", "AMOUNT_INCONSISTENT"), ("3", "REJECTED", "CONTRACT_NOT_FOUND"),
        ("4", "REJECTED", "CONTRACT_NOT_FOUND"), ("5", "DUPLICATE", "DUPLICATE"), ("6", "REJECTED", "SCHEMA_INVALID"),
    ]
    assert [f.data["claim"]["claim_number"] for f in claim_facts(exchange)] == ["CLM-000001"]
    manifest = json.loads(container(exchange).download_blob(claims_intake.results_name(NAME) + ".manifest.json")
                          .readall())
    assert manifest["counts"] == {"ACCEPTED": 1, "DUPLICATE": 1, "REJECTED": 4}


def test_the_same_file_twice_changes_nothing(exchange: Exchange) -> None:
    upload(exchange, [row("CLM-000011"), row("CLM-000012")])
    exchange.claims.scan("adm-01")
    first = results(exchange)
    [again] = exchange.claims.scan("adm-01")
    assert again.status == "SKIPPED" and results(exchange) == first
    assert len(claim_facts(exchange)) == 2


def test_a_manifest_that_does_not_match_rejects_the_whole_file(exchange: Exchange) -> None:
    upload(exchange, [row("CLM-000021")], tamper={"record_count": 2})
    [rejected] = exchange.claims.scan("adm-01")
    assert rejected.status == "REJECTED" and "record_count" in rejected.note
    assert results(exchange)[1] == ["0", "", "REJECTED", "FILE_CONTROL_MISMATCH"]
    assert claim_facts(exchange) == []


class FailsOnce(Journal):
    def __init__(self, inner: Journal, after: int) -> None:
        self.inner, self.calls, self.after = inner, 0, after

    def append(self, facts: Sequence[JournalFact]) -> None:
        self.inner.append(facts)

    def append_run(self, facts: Sequence[JournalFact]) -> None:
        self.calls += 1
        if self.calls == self.after:
            raise ConnectionError("worker died half-way through the file")
        self.inner.append_run(facts)

    def read(self, business_date: date, after: str | None = None):  # type: ignore[no-untyped-def]
        return self.inner.read(business_date, after)


@pytest.mark.parametrize("crash_at_chunk", [1, 2], ids=["in-the-first-chunk", "in-a-later-chunk"])
def test_a_crash_half_way_resumes_and_answers_as_if_nothing_happened(
    exchange: Exchange, storage_settings: Settings, monkeypatch: pytest.MonkeyPatch, crash_at_chunk: int
) -> None:
    """The crash falls after the chunk's claims are in the registry and before its facts are in the journal:
    the retry meets its own claims there (in the first chunk without having asked first) and accepts them."""
    monkeypatch.setattr(claims_intake, "CHUNK_ROWS", 3)
    rows = [row(f"CLM-1000{i:02d}") for i in range(10)]
    upload(exchange, rows)
    flaky = bootstrap(storage_settings, contracts=exchange.contracts,
                      journal=FailsOnce(exchange.journal, crash_at_chunk), dead_letters=exchange.dead_letters)
    with pytest.raises(ConnectionError):
        flaky.claims.scan("adm-01")
    [done] = exchange.claims.scan("adm-01")
    assert done.status == "DONE" and done.counts == {"ACCEPTED": 10, "DUPLICATE": 0, "REJECTED": 0}
    assert [r[2] for r in results(exchange)[1:]] == ["ACCEPTED"] * 10
    assert len(claim_facts(exchange)) == 10


class DiesAfterWriting(FailsOnce):
    def append_run(self, facts: Sequence[JournalFact]) -> None:
        self.calls += 1
        self.inner.append_run(facts)
        if self.calls == self.after:
            raise ConnectionError("worker died after the chunk's facts, before its checkpoint")


def test_a_retry_redoes_the_very_chunk_it_left_even_after_the_chunk_size_changed(
    exchange: Exchange, storage_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chunk's facts are in the journal, its checkpoint is not: the retry (by a newer version, say, with
    another chunk size) must write the same facts again, not a wider run over them."""
    monkeypatch.setattr(claims_intake, "CHUNK_ROWS", 3)
    upload(exchange, [row(f"CLM-1100{i:02d}") for i in range(10)])
    flaky = bootstrap(storage_settings, contracts=exchange.contracts,
                      journal=DiesAfterWriting(exchange.journal, 2), dead_letters=exchange.dead_letters)
    with pytest.raises(ConnectionError):
        flaky.claims.scan("adm-01")
    monkeypatch.setattr(claims_intake, "CHUNK_ROWS", 5)
    [done] = exchange.claims.scan("adm-01")
    assert done.status == "DONE" and done.counts["ACCEPTED"] == 10
    assert sorted(f.data["claim"]["claim_number"] for f in claim_facts(exchange)) == [
        f"CLM-1100{i:02d}" for i in range(10)]


def test_claim_numbers_taken_by_an_earlier_file_or_an_earlier_chunk_are_duplicates(
    exchange: Exchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks insert their claims without asking first: the registry's refusal is what finds these."""
    monkeypatch.setattr(claims_intake, "CHUNK_ROWS", 3)
    upload(exchange, [row(f"CLM-7000{i:02d}") for i in range(4)])
    second = NAME.replace("_001.csv", "_002.csv")
    upload(exchange, [row("CLM-700100"), row("CLM-700001"), row("CLM-700102"),
                      row("CLM-700100"), row("CLM-700103"), row("CLM-700003"), row("CLM-700104")], name=second)
    first_done, second_done = exchange.claims.scan("adm-01")
    assert first_done.counts == {"ACCEPTED": 4, "DUPLICATE": 0, "REJECTED": 0}
    assert second_done.counts == {"ACCEPTED": 4, "DUPLICATE": 3, "REJECTED": 0}
    text = container(exchange).download_blob(claims_intake.results_name(second)).readall().decode()
    assert [line.split(",")[2] for line in text.splitlines()[1:]] == [
        "ACCEPTED", "DUPLICATE", "ACCEPTED", "DUPLICATE", "ACCEPTED", "DUPLICATE", "ACCEPTED"]
    facts = claim_facts(exchange)
    assert sorted(f.data["claim"]["claim_number"] for f in facts) == sorted(
        [f"CLM-7000{i:02d}" for i in range(4)] + ["CLM-700100", "CLM-700102", "CLM-700103", "CLM-700104"])
    [original] = [f for f in facts if f.data["claim"]["claim_number"] == "CLM-700001"]
    assert original.data["file"] == NAME


class SlowChunks(Journal):
    """Each chunk takes twenty minutes; a micro-batch delivery runs while the second chunk is being written."""

    def __init__(self, inner: Journal, clock: Clock, deliver: Callable[[], object]) -> None:
        self.inner, self.clock, self.deliver, self.runs = inner, clock, deliver, 0

    def append(self, facts: Sequence[JournalFact]) -> None:
        self.inner.append(facts)

    def append_run(self, facts: Sequence[JournalFact]) -> None:
        self.runs += 1
        if self.runs == 2:
            self.deliver()
        self.inner.append_run(facts)
        self.clock.advance(minutes=20)

    def read(self, business_date: date, after: str | None = None):  # type: ignore[no-untyped-def]
        return self.inner.read(business_date, after)


def test_the_later_chunks_of_a_long_file_reach_a_feed_that_delivered_its_first_chunk(
    exchange: Exchange, storage_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk's facts are stamped when the chunk is decided, not when the file was taken up: a feed whose
    watermark moved past the file's start while the file was still being read does not skip the rest."""
    monkeypatch.setattr(claims_intake, "CHUNK_ROWS", 3)
    partners = config({"id": "adm-01", "name": "Admin One", "kind": "ADMINISTRATOR", "administrator_code": "ADM-01",
                       "feeds": [feed("claims", facts=["claims"], sla="PT15M",
                                      fields=["record_type", "contract_number", "claim_number"])]})
    clock = Clock(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    slow: list[Exchange] = []
    job = DeliveryJob("adm-01", "claims", date(2026, 3, 2))
    journal = SlowChunks(exchange.journal, clock, lambda: slow[0].delivery.deliver(job))
    slow.append(bootstrap(storage_settings, contracts=exchange.contracts, journal=journal,
                          dead_letters=exchange.dead_letters, partners=partners, clock=clock))
    upload(exchange, [row(f"CLM-6000{i:02d}") for i in range(9)])
    [done] = slow[0].claims.scan("adm-01")
    assert done.counts["ACCEPTED"] == 9
    clock.advance(hours=1)
    slow[0].delivery.deliver(job)
    delivered = []
    for name in sorted(b.name for b in container(exchange).list_blobs(name_starts_with="outbound/claims/")):
        if name.endswith(".csv"):
            text = container(exchange).download_blob(name).readall().decode()
            delivered.append([line.split(",")[2] for line in text.splitlines()[1:]])
    assert delivered == [[f"CLM-6000{i:02d}" for i in range(3)], [f"CLM-6000{i:02d}" for i in range(3, 9)]]


def test_a_hostile_file_is_answered_and_harms_nothing(exchange: Exchange) -> None:
    hostile = [
        row("CLM-400001", cause='"=HYPERLINK(""http://x"",""y"")"'),  # RFC 4180: quoted, quotes doubled
        "A" * 200_000,
        "\x00\x01\x02binary",
        row("CLM-400002"),
    ]
    data = ("\n".join([HEADER, *hostile]) + "\n").encode() + b"\xff\xfe latin-1 \xe9\n"
    target = container(exchange)
    target.upload_blob(NAME, data, overwrite=True)
    manifest = {"record_count": 5, "total_amount": "300.00", "sha256": hashlib.sha256(data).hexdigest()}
    target.upload_blob(NAME + ".manifest.json", json.dumps(manifest), overwrite=True)
    [done] = exchange.claims.scan("adm-01")
    assert done.status == "DONE", done.note
    assert [(r[0], r[2], r[3]) for r in results(exchange)[1:]] == [
        ("1", "ACCEPTED", ""), ("2", "REJECTED", "SCHEMA_INVALID"), ("3", "REJECTED", "SCHEMA_INVALID"),
        ("4", "ACCEPTED", ""), ("5", "REJECTED", "SCHEMA_INVALID"),
    ]
    [fact] = [f for f in claim_facts(exchange) if f.data["claim"]["claim_number"] == "CLM-400001"]
    assert fact.data["claim"]["cause"] == '=HYPERLINK("http://x","y")', "kept verbatim, never interpreted"


def test_a_header_that_is_not_the_specs_rejects_the_file(exchange: Exchange) -> None:
    data = (",".join(f"c{i}" for i in range(10_000)) + "\n" + row("CLM-500001") + "\n").encode()
    target = container(exchange)
    target.upload_blob(NAME, data, overwrite=True)
    manifest = {"record_count": 1, "total_amount": "150.00", "sha256": hashlib.sha256(data).hexdigest()}
    target.upload_blob(NAME + ".manifest.json", json.dumps(manifest), overwrite=True)
    [rejected] = exchange.claims.scan("adm-01")
    assert rejected.status == "REJECTED"
    assert results(exchange)[1] == ["0", "", "REJECTED", "SCHEMA_INVALID"]
    assert claim_facts(exchange) == []


def test_a_partner_without_an_administrator_code_takes_no_claims(exchange: Exchange) -> None:
    with pytest.raises(KeyError, match="takes no claims files"):
        exchange.claims.scan("oem-toyota")


def test_a_file_is_read_in_ranges_and_a_replacement_mid_read_fails_the_read(
    exchange: Exchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    from azure.core.exceptions import ResourceModifiedError

    from function_app.adapters.claims import azure as claims_storage

    monkeypatch.setattr(claims_storage, "CHUNK_BYTES", 100)
    data = upload(exchange, [row(f"CLM-8000{i:02d}") for i in range(5)])
    inbox = claims_storage.BlobClaimsInbox(blob_service(exchange.settings), exchange.settings.namespace)
    version = inbox.version("adm-01", NAME)
    assert version is not None
    parts = list(inbox.chunks("adm-01", NAME, version))
    assert b"".join(parts) == data and {len(p) for p in parts[:-1]} == {100}
    reading = inbox.chunks("adm-01", NAME, version)
    assert next(reading) == data[:100]
    upload(exchange, [row("CLM-800099")])  # the partner uploads again while the file is being read
    with pytest.raises(BlobChanged) as changed:
        next(reading)
    assert isinstance(changed.value.__cause__, ResourceModifiedError)
    with pytest.raises(BlobChanged):  # the version read is the one asked for, or none at all
        next(inbox.chunks("adm-01", NAME, version))
    container(exchange).upload_blob("inbound/claims/empty.csv", b"")
    empty = inbox.version("adm-01", "inbound/claims/empty.csv")
    assert empty is not None and list(inbox.chunks("adm-01", "inbound/claims/empty.csv", empty)) == []


class CountingRegistry(ClaimsRegistry):
    def __init__(self, inner: ClaimsRegistry) -> None:
        self.inner, self.loads = inner, []  # type: ignore[var-annotated]

    def load(self, administrator: str, claim_numbers: Iterable[str]) -> dict[str, AcceptedClaim]:
        numbers = sorted(claim_numbers)
        self.loads.append(numbers)
        return self.inner.load(administrator, numbers)

    def add(self, administrator: str, claims: Sequence[AcceptedClaim]) -> list[str]:
        return self.inner.add(administrator, claims)


def test_a_chunk_asks_the_registry_first_only_after_a_chunk_that_met_it(
    exchange: Exchange, monkeypatch: pytest.MonkeyPatch
) -> None:

    monkeypatch.setattr(claims_intake, "CHUNK_ROWS", 3)
    upload(exchange, [row("CLM-900000")])
    exchange.claims.scan("adm-01")
    second = NAME.replace("_001.csv", "_002.csv")
    upload(exchange, [row("CLM-900100"), row("CLM-900000"), row("CLM-900102"),  # meets the registry: decided again
                      row("CLM-900103"), row("CLM-900104"), row("CLM-900105"),  # so this one asks first, meets none
                      row("CLM-900106")], name=second)  # so this one inserts straight away
    registry = CountingRegistry(exchange.storage.claims_registry)
    intake = bootstrap(exchange.settings, storage=exchange.storage, partners=exchange.partners,
                       claims_registry=registry).claims
    [done] = intake.scan("adm-01", only=second)
    assert done.counts == {"ACCEPTED": 6, "DUPLICATE": 1, "REJECTED": 0}
    assert registry.loads == [["CLM-900000", "CLM-900100", "CLM-900102"], ["CLM-900103", "CLM-900104", "CLM-900105"]]


# --- file integrity (CLAIMS-INBOUND.md: file identity, checked bytes, manifest size) ---------------------


def intake_with(exchange: Exchange, inbox: ClaimsInbox) -> claims_intake.ClaimsIntake:

    return bootstrap(exchange.settings, storage=exchange.storage, partners=exchange.partners, clock=exchange.clock,
                     claims_inbox=inbox).claims


def test_the_same_bytes_under_another_name_are_a_duplicate_file_and_applied_once(exchange: Exchange) -> None:
    rows = [row("CLM-010001"), row("CLM-010002")]
    upload(exchange, rows)
    second = NAME.replace("_001.csv", "_002.csv")
    upload(exchange, rows, name=second)
    first_done, duplicate = exchange.claims.scan("adm-01")
    assert (first_done.status, duplicate.status, duplicate.reason) == ("DONE", "REJECTED", "DUPLICATE_FILE")
    assert NAME in duplicate.note
    assert results(exchange, second)[1:] == [["0", "", "REJECTED", "DUPLICATE_FILE"]]
    assert sorted(f.data["claim"]["claim_number"] for f in claim_facts(exchange)) == ["CLM-010001", "CLM-010002"]
    assert [o.status for o in exchange.claims.scan("adm-01")] == ["SKIPPED", "SKIPPED"]
    assert len(claim_facts(exchange)) == 2


def test_bytes_refused_for_their_manifest_can_come_again_under_another_name(exchange: Exchange) -> None:
    """Only bytes that were to be applied take their identity: a file refused whole was never applied."""
    rows = [row("CLM-011001")]
    upload(exchange, rows, tamper={"total_amount": "1.00"})
    second = NAME.replace("_001.csv", "_002.csv")
    upload(exchange, rows, name=second)
    refused, done = exchange.claims.scan("adm-01")
    assert (refused.reason, done.status) == ("FILE_CONTROL_MISMATCH", "DONE")
    assert [f.data["claim"]["claim_number"] for f in claim_facts(exchange)] == ["CLM-011001"]


class ReplacedAfterCheck(ClaimsInbox):
    """The partner replaces the data file (and its manifest, to match) right after the exchange checked it."""

    def __init__(self, inner: ClaimsInbox, replace: Callable[[], object]) -> None:
        self.inner, self.replace, self.reads = inner, replace, 0

    def data_files(self, partner: str) -> list[str]:
        return self.inner.data_files(partner)

    def read_small(self, partner: str, name: str, limit: int) -> bytes | None:
        return self.inner.read_small(partner, name, limit)

    def version(self, partner: str, name: str) -> str | None:
        return self.inner.version(partner, name)

    def chunks(self, partner: str, name: str, version: str) -> Iterator[bytes]:
        self.reads += 1
        if self.reads == 2:  # the first read measured the file against its manifest
            self.replace()
        return self.inner.chunks(partner, name, version)

    def stage_results(self, partner: str, name: str, block: int, data: bytes) -> None:
        self.inner.stage_results(partner, name, block, data)

    def commit_results(self, partner: str, name: str, blocks: int) -> tuple[str, int]:
        return self.inner.commit_results(partner, name, blocks)

    def write_manifest(self, partner: str, name: str, manifest: ResultsManifest) -> None:
        self.inner.write_manifest(partner, name, manifest)


def test_a_file_replaced_after_its_check_is_refused_and_nothing_of_the_new_bytes_is_applied(
    exchange: Exchange
) -> None:

    upload(exchange, [row("CLM-020001")])
    inbox = ReplacedAfterCheck(exchange.storage.claims_inbox,
                               lambda: upload(exchange, [row("CLM-029999"), row("CLM-029998")]))
    [refused] = intake_with(exchange, inbox).scan("adm-01")
    assert (refused.status, refused.reason) == ("REJECTED", "FILE_CHANGED")
    assert results(exchange)[1:] == [["0", "", "REJECTED", "FILE_CHANGED"]]
    assert claim_facts(exchange) == []
    [again] = exchange.claims.scan("adm-01")
    assert again.status == "SKIPPED" and "not applied" in again.note
    assert claim_facts(exchange) == []


def test_a_file_replaced_while_paused_keeps_the_rows_applied_and_refuses_the_new_bytes(
    exchange: Exchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(claims_intake, "CHUNK_ROWS", 3)
    upload(exchange, [row(f"CLM-0300{i:02d}") for i in range(6)])
    [paused] = exchange.claims.scan("adm-01", pause=lambda: True)
    assert paused.status == "PAUSED"
    upload(exchange, [row(f"CLM-0399{i:02d}") for i in range(6)])  # new bytes, with a manifest that matches them
    [refused] = exchange.claims.scan("adm-01")
    assert (refused.status, refused.reason) == ("REJECTED", "FILE_CHANGED")
    assert results(exchange)[1:] == [[str(i), f"CLM-0300{i - 1:02d}", "ACCEPTED", ""] for i in (1, 2, 3)] + [
        ["0", "", "REJECTED", "FILE_CHANGED"]]
    assert sorted(f.data["claim"]["claim_number"] for f in claim_facts(exchange)) == [
        f"CLM-0300{i:02d}" for i in range(3)]
    manifest = json.loads(container(exchange).download_blob(claims_intake.results_name(NAME) + ".manifest.json")
                          .readall())
    assert (manifest["file_rejected"], manifest["rows_answered"], manifest["counts"]["ACCEPTED"]) == (
        "FILE_CHANGED", 3, 3)


def test_a_file_replaced_after_it_was_answered_changes_neither_results_nor_journal(exchange: Exchange) -> None:
    upload(exchange, [row("CLM-040001")])
    exchange.claims.scan("adm-01")
    answered = results(exchange)
    upload(exchange, [row("CLM-040002")], tamper={"record_count": 7})  # would have been refused whole
    [again] = exchange.claims.scan("adm-01")
    assert again.status == "SKIPPED" and "replaced" in again.note
    assert results(exchange) == answered
    assert [f.data["claim"]["claim_number"] for f in claim_facts(exchange)] == ["CLM-040001"]


@pytest.mark.parametrize("manifest", [
    b" " * (64 * 1024) + b'{"record_count": 1}',
    b"[" * 60_000 + b"]" * 60_000,
    b"{not json",
    b"\xff\xfe{}",
    b'["a list"]',
], ids=["over-64-KiB", "nested-deep", "not-json", "not-utf-8", "not-an-object"])
def test_an_invalid_manifest_refuses_its_file_alone(exchange: Exchange, manifest: bytes) -> None:
    upload(exchange, [row("CLM-050001")])
    container(exchange).upload_blob(NAME + ".manifest.json", manifest, overwrite=True)
    second = NAME.replace("_001.csv", "_002.csv")
    upload(exchange, [row("CLM-050002")], name=second)
    container(exchange, "adm-02")
    upload(exchange, [row("CLM-050003", "VSC2501150002")], partner="adm-02",
           name=NAME.replace("adm-01", "adm-02"))
    invalid, done = exchange.claims.scan("adm-01")
    assert (invalid.status, invalid.reason, done.status) == ("REJECTED", "MANIFEST_INVALID", "DONE")
    assert results(exchange)[1:] == [["0", "", "REJECTED", "MANIFEST_INVALID"]]
    [other_partner] = exchange.claims.scan("adm-02")
    assert other_partner.status == "DONE"
    [queued] = exchange.claims.scan("adm-01", only=NAME)  # the queue path: one file, answered, no exception
    assert queued.status == "SKIPPED"
    assert sorted(f.data["claim"]["claim_number"] for f in claim_facts(exchange)) == ["CLM-050002", "CLM-050003"]


def test_claim_numbers_are_per_administrator(exchange: Exchange) -> None:
    """Another administrator's claim of the same number is no duplicate and no conflict, nor a hint of one."""
    upload(exchange, [row("CLM-060001")])
    other = NAME.replace("adm-01", "adm-02")
    upload(exchange, [row("CLM-060001", "VSC2501150002", cause="another failure")], partner="adm-02", name=other)
    [mine] = exchange.claims.scan("adm-01")
    [theirs] = exchange.claims.scan("adm-02")
    assert mine.counts["ACCEPTED"] == theirs.counts["ACCEPTED"] == 1
    assert results(exchange, other, "adm-02")[1:] == [["1", "CLM-060001", "ACCEPTED", ""]]
    upload(exchange, [row("CLM-060001", cause="changed")], name=NAME.replace("_001.csv", "_002.csv"))
    [conflict] = exchange.claims.scan("adm-01", only=NAME.replace("_001.csv", "_002.csv"))
    assert conflict.counts["REJECTED"] == 1  # within one administrator the number is still taken


def test_a_name_too_long_for_its_results_is_ignored_and_the_other_files_go_on(exchange: Exchange) -> None:
    """Azure refuses blob names over 1024 characters (Azurite does not): the results could not be written."""
    long = "inbound/claims/" + "a" * 1000 + ".csv"
    upload(exchange, [row("CLM-090001")], name=long)
    upload(exchange, [row("CLM-090002")])
    ignored, done = sorted(exchange.claims.scan("adm-01"), key=lambda o: o.status != "IGNORED")
    assert (ignored.name, ignored.status, done.status) == (long, "IGNORED", "DONE")
    assert "1024" in ignored.note
    assert [f.data["claim"]["claim_number"] for f in claim_facts(exchange)] == ["CLM-090002"]


class ReplacedAfterFirstChunk(FailsOnce):
    def __init__(self, inner: Journal, replace: Callable[[], object]) -> None:
        super().__init__(inner, after=1)
        self.replace = replace

    def append_run(self, facts: Sequence[JournalFact]) -> None:
        self.inner.append_run(facts)
        self.calls += 1
        if self.calls == 1:
            self.replace()


def test_a_file_replaced_part_way_through_a_read_keeps_its_answered_rows_and_records_the_refusal(
    exchange: Exchange, storage_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from function_app.adapters.claims import azure as claims_storage

    monkeypatch.setattr(claims_intake, "CHUNK_ROWS", 3)
    monkeypatch.setattr(claims_storage, "CHUNK_BYTES", 100)  # the rows after the first chunk are still unread
    upload(exchange, [row(f"CLM-0700{i:02d}") for i in range(9)])
    journal = ReplacedAfterFirstChunk(exchange.journal, lambda: upload(exchange, [row("CLM-079999")] * 9))
    replaced = bootstrap(storage_settings, contracts=exchange.contracts, journal=journal,
                         dead_letters=exchange.dead_letters)
    [refused] = replaced.claims.scan("adm-01")
    assert (refused.status, refused.reason, refused.counts["ACCEPTED"]) == ("REJECTED", "FILE_CHANGED", 3)
    assert [r[2] for r in results(exchange)[1:]] == ["ACCEPTED"] * 3 + ["REJECTED"]
    assert sorted(f.data["claim"]["claim_number"] for f in claim_facts(exchange)) == [
        f"CLM-0700{i:02d}" for i in range(3)]
    [again] = exchange.claims.scan("adm-01")
    assert again.status == "SKIPPED", "the refusal was recorded, under the checkpoint's current token"
