"""Reconciliation: the journal against the delivered files and their manifests, and the exchange against the source
of record. Facts are made by the real service on in-memory storage and delivered by the real delivery; each break
is then injected into what was written, found, classified and named; and a break a later run no longer finds is
resolved."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from function_app.adapters.delivery.memory import MemoryPartnerFiles
from function_app.bootstrap import Exchange
from function_app.domain.delivery.ascii import to_ascii
from function_app.domain.delivery.parsing import file_totals, parse_rows
from function_app.domain.delivery.records import PiiLevel
from function_app.domain.kernel.catalogue import DEFAULT_CATALOGUE
from function_app.domain.kernel.journal import FactKind, JournalFact
from function_app.domain.kernel.partners import Feed, partner
from function_app.domain.reconciliation.delivered_files import DeliveredFileView
from function_app.domain.reconciliation.feed_comparison import compare_feed
from function_app.domain.reconciliation.feed_scope import expected_rows
from function_app.domain.reconciliation.journal_facts import decided_at
from function_app.domain.reconciliation.manifests import Manifest
from function_app.domain.reconciliation.model import Break, BreakKind, FeedReconciliation
from function_app.domain.reconciliation.runs import resolve
from function_app.domain.reconciliation.source_of_record import compare_source_of_record
from function_app.service_layer.delivery.jobs import DeliveryJob
from tests.partners import (
    DAY,
    FIELDS,
    NOON,
    Clock,
    cancellation,
    config,
    contracts_of_the_day,
    decide,
    feed,
    memory_exchange,
)
from tests.unit.partner_files.facts import sample_facts
from tests.unit.partner_files.writing import new_writer, write

PARTNER = "adm-01"
FORMATS = ("csv", "fixed", "jsonl")
FEED_FIELDS = [*FIELDS, "gross_refund", "claims_deducted"]
PARTNERS = config({"id": PARTNER, "name": "Admin One", "kind": "ADMINISTRATOR",
                   "feeds": [feed(fmt, format=fmt, fields=FEED_FIELDS) for fmt in FORMATS]})
NIGHT = NOON + timedelta(hours=14)  # 02:00 the next morning in Chicago
LATE_AFTER = timedelta(hours=26)
GRACE = timedelta(hours=24)
CANCELLED = ("VSC7000001", "VSC7000004")
CDC = "policy-admin-cdc"


# ---------------------------------------------------------------------------------------------------------------
# A delivered day, and what reconciliation is given of it
# ---------------------------------------------------------------------------------------------------------------


def delivered_day(count: int = 6) -> tuple[Exchange, Clock]:
    """Contracts accepted and two of them cancelled at noon; each feed's nightly file delivered at 02:00."""
    clock = Clock(NOON)
    exchange = memory_exchange(PARTNERS, clock=clock)
    decide(exchange, "contracts", list(contracts_of_the_day(count)))
    decide(exchange, "cancellations", [cancellation(number) for number in CANCELLED], start=100)
    clock.now = NIGHT
    for name in FORMATS:
        exchange.delivery.deliver(DeliveryJob(PARTNER, name, DAY))
    return exchange, clock


def feed_named(name: str) -> Feed:
    return next(f for f in partner(PARTNERS, PARTNER).feeds if f.name == name)


def subscribed(exchange: Exchange, feed: Feed, day: date) -> list[JournalFact]:
    return [f for f in exchange.journal.read(day) if f.kind.value in feed.fact_kinds and feed.filter.matches(f)]


def files_of(exchange: Exchange) -> MemoryPartnerFiles:
    assert isinstance(exchange.partner_files, MemoryPartnerFiles)
    return exchange.partner_files


def blob(exchange: Exchange, name: str) -> bytes | None:
    return files_of(exchange).blobs.get((PARTNER, name))


def views(exchange: Exchange, name: str, day: date = DAY) -> list[DeliveredFileView]:
    """Each delivered file holding facts of the day (or named for it), as found in the partner's container now."""
    feed, found = feed_named(name), []
    for file in exchange.deliveries.files(PARTNER, name):
        covered = [f for d in sorted(file.ranges) for f in subscribed(exchange, feed, date.fromisoformat(d))
                   if file.covers(d, f.position)]
        mine = [f for f in covered if f.business_date == day]
        if mine or file.business_date == day:
            manifest = blob(exchange, file.blob_name + ".manifest.json")
            found.append(DeliveredFileView(file.blob_name, blob(exchange, file.blob_name),
                                           Manifest.from_json(json.loads(manifest)) if manifest is not None else None,
                                           mine, [f for f in covered if f.business_date != day]))
    return found


def reconcile(exchange: Exchange, name: str, day: date = DAY, *, now: datetime | None = None,
              files: Sequence[DeliveredFileView] | None = None) -> FeedReconciliation:
    feed = feed_named(name)
    files = views(exchange, name, day) if files is None else files
    covered = {f.position for view in files for f in view.expected_facts}
    facts = subscribed(exchange, feed, day)
    return compare_feed(
        partner=PARTNER, feed=feed, business_date=day,
        facts=[f for f in facts if f.position in covered], undelivered=[f for f in facts if f.position not in covered],
        files=files, now=now or exchange.clock(), late_after=LATE_AFTER,
    )


def only_file(exchange: Exchange, name: str) -> str:
    [file] = exchange.deliveries.files(PARTNER, name)
    return file.blob_name


def kinds(result: FeedReconciliation | Sequence[Break]) -> list[BreakKind]:
    breaks = result.breaks if isinstance(result, FeedReconciliation) else result
    return sorted(b.kind for b in breaks)


# Injecting breaks into what was written -------------------------------------------------------------------------


def records_of(format: str, data: bytes) -> tuple[list[str], int]:
    """The file's lines (the last one empty) and the index of its first data record."""
    return data.decode().split("\n"), 0 if format == "jsonl" else 1


def with_record_repeated(format: str, data: bytes, record: int) -> bytes:
    lines, first = records_of(format, data)
    lines.insert(first + record, lines[first + record])
    return "\n".join(lines).encode()


def with_record_added(format: str, data: bytes, line: str) -> bytes:
    lines, first = records_of(format, data)
    lines.insert(first, line)
    return "\n".join(lines).encode()


def record_line(format: str, data: bytes, contract: str, record_type: str) -> str:
    lines, _ = records_of(format, data)
    return next(line for line in lines if contract in line and record_type in line)


def with_amount_changed(format: str, data: bytes, contract: str, old: str, new: str) -> bytes:
    """The contract's cancellation record with one amount replaced (same length: fixed-width stays aligned)."""
    line = record_line(format, data, contract, "CONTRACT_CANCELLED")
    assert len(old) == len(new) and old in line
    return data.replace(line.encode(), line.replace(old, new).encode())


def edit_manifest(exchange: Exchange, name: str, **changes: Any) -> None:
    key = (PARTNER, name + ".manifest.json")
    document = json.loads(files_of(exchange).blobs[key]) | changes
    files_of(exchange).blobs[key] = json.dumps(document, sort_keys=True).encode()


# ---------------------------------------------------------------------------------------------------------------
# Reading files back
# ---------------------------------------------------------------------------------------------------------------


def test_every_format_reads_back_to_the_same_rows_and_totals() -> None:
    facts = sample_facts()  # formula-like and non-Latin names, a refund, a revision
    fields = ["record_type", "journal_position", "business_date", "contract_number", "revision", "sale_date",
              "customer_first_name", "customer_last_name", "vehicle_make", "retail_price", "unearned_fraction",
              "customer_refund", "cancel_date", "claims_paid_total"]
    writers = {fmt: new_writer(fmt, fields) for fmt in FORMATS}
    rows = {fmt: parse_rows(fmt, write(w, facts, fields, PiiLevel.FULL), fields) for fmt, w in writers.items()}
    assert rows["csv"] == rows["jsonl"]
    assert rows["fixed"] == [tuple(to_ascii(cell) for cell in row) for row in rows["csv"]], "fixed width is ASCII"
    first_names = [row[fields.index("customer_first_name")] for row in rows["csv"]]
    assert '=HYPERLINK("x")' in first_names and "@SUM" in first_names, "the csv's neutralising quote is removed"
    assert {row[fields.index("sale_date")] for row in rows["fixed"]} >= {"2025-01-15"}, "fixed dates read as ISO"
    assert all(file_totals(fmt, rows[fmt], fields) == w.control_totals for fmt, w in writers.items())


@pytest.mark.parametrize("format", FORMATS)
def test_a_file_that_is_not_its_format_is_refused_with_the_line(format: str) -> None:
    with pytest.raises(ValueError, match="line 1"):
        parse_rows(format, b"garbage\n", FEED_FIELDS)


# ---------------------------------------------------------------------------------------------------------------
# The journal against the delivered files
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FORMATS)
def test_a_clean_day_agrees_on_counts_and_totals_in_every_format(name: str) -> None:
    exchange, _ = delivered_day()
    result = reconcile(exchange, name)
    assert result.agrees and result.breaks == ()
    assert result.journal == result.files == result.manifests
    assert result.journal.records == 8
    assert result.journal.totals["retail_price"] == "19960.00"
    assert result.file_names == (only_file(exchange, name),)


def test_the_journal_side_is_what_the_real_writer_makes_of_the_facts() -> None:
    exchange, _ = delivered_day()
    feed = feed_named("csv")
    data = blob(exchange, only_file(exchange, "csv"))
    assert data is not None
    assert expected_rows(subscribed(exchange, feed, DAY), feed) == parse_rows("csv", data, FEED_FIELDS)


@pytest.mark.parametrize("name", FORMATS)
def test_a_removed_file_misses_every_record_it_held(name: str) -> None:
    exchange, _ = delivered_day()
    file = only_file(exchange, name)
    del files_of(exchange).blobs[(PARTNER, file)]
    result = reconcile(exchange, name)
    assert set(kinds(result)) == {BreakKind.MISSING} and len(result.breaks) == 6, "one break per contract"
    assert {b.contract_number for b in result.breaks} == {f"VSC7{i:06d}" for i in range(6)}
    assert all(b.key == b.contract_number and file in b.detail and "removed" in b.detail for b in result.breaks)
    cancelled = next(b for b in result.breaks if b.key == CANCELLED[0])
    assert "(CONTRACT_ACCEPTED at" in cancelled.detail and "(CONTRACT_CANCELLED at" in cancelled.detail
    assert result.files.records == 0 and result.manifests.records == 8


def test_a_removed_file_of_a_quiet_night_is_missing_itself() -> None:
    exchange = memory_exchange(PARTNERS, clock=Clock(NIGHT))
    exchange.delivery.deliver(DeliveryJob(PARTNER, "fixed", DAY))
    file = only_file(exchange, "fixed")
    assert reconcile(exchange, "fixed").agrees
    del files_of(exchange).blobs[(PARTNER, file)]
    [missing] = reconcile(exchange, "fixed").breaks
    assert (missing.kind, missing.key, missing.contract_number) == (BreakKind.MISSING, file, None)


@pytest.mark.parametrize("name", FORMATS)
def test_a_manifest_whose_record_count_was_edited(name: str) -> None:
    exchange, _ = delivered_day()
    file = only_file(exchange, name)
    edit_manifest(exchange, file, record_count=9)
    result = reconcile(exchange, name)
    [mismatch] = result.breaks
    assert (mismatch.kind, mismatch.key, mismatch.contract_number) == (BreakKind.MANIFEST_MISMATCH,
                                                                       file + ".manifest.json", None)
    assert "record_count 9 in the manifest, 8 in the file" in mismatch.detail
    assert (result.journal.records, result.files.records, result.manifests.records) == (8, 8, 9)


@pytest.mark.parametrize("name", FORMATS)
def test_a_manifest_whose_control_total_was_edited(name: str) -> None:
    exchange, _ = delivered_day()
    file = only_file(exchange, name)
    manifest = blob(exchange, file + ".manifest.json")
    assert manifest is not None
    totals = json.loads(manifest)["control_totals"] | {"customer_refund": "9999.99"}
    edit_manifest(exchange, file, control_totals=totals)
    result = reconcile(exchange, name)
    [mismatch] = result.breaks
    assert (mismatch.kind, mismatch.key) == (BreakKind.MANIFEST_MISMATCH, file + ".manifest.json")
    assert "control_totals.customer_refund 9999.99 in the manifest, 3351.42 in the file" in mismatch.detail
    assert result.manifests.totals["customer_refund"] == "9999.99"
    assert result.files.totals["customer_refund"] == result.journal.totals["customer_refund"] == "3351.42"


def test_a_missing_manifest_is_named() -> None:
    exchange, _ = delivered_day()
    file = only_file(exchange, "csv")
    del files_of(exchange).blobs[(PARTNER, file + ".manifest.json")]
    [mismatch] = reconcile(exchange, "csv").breaks
    assert (mismatch.kind, mismatch.key) == (BreakKind.MANIFEST_MISMATCH, file + ".manifest.json")
    assert mismatch.detail == f"{file} has no manifest, or one that is not a JSON object"


@pytest.mark.parametrize("name", FORMATS)
def test_a_record_repeated_in_its_file_is_a_duplicate(name: str) -> None:
    exchange, _ = delivered_day()
    file = only_file(exchange, name)
    data = blob(exchange, file)
    assert data is not None
    files_of(exchange).blobs[(PARTNER, file)] = with_record_repeated(name, data, 3)  # VSC7000001 accepted
    result = reconcile(exchange, name)
    [duplicate] = [b for b in result.breaks if b.kind is BreakKind.DUPLICATE]
    assert (duplicate.key, duplicate.contract_number) == ("VSC7000001", "VSC7000001")
    assert f"{file} record 5 repeats VSC7000001 (CONTRACT_ACCEPTED" in duplicate.detail
    [manifest] = [b for b in result.breaks if b.kind is BreakKind.MANIFEST_MISMATCH]
    assert manifest.key == file + ".manifest.json"
    assert "record_count 8 in the manifest, 9 in the file" in manifest.detail
    assert "sha256" in manifest.detail
    assert (result.journal.records, result.files.records) == (8, 9)


@pytest.mark.parametrize("name", FORMATS)
def test_a_refund_changed_in_the_file_names_the_contract_and_the_column(name: str) -> None:
    exchange, _ = delivered_day()
    file = only_file(exchange, name)
    data = blob(exchange, file)
    assert data is not None
    files_of(exchange).blobs[(PARTNER, file)] = with_amount_changed(name, data, "VSC7000004", "1675.71", "1775.71")
    result = reconcile(exchange, name)
    [changed] = [b for b in result.breaks if b.key == "VSC7000004"]
    assert (changed.kind, changed.contract_number) == (BreakKind.AMOUNT_MISMATCH, "VSC7000004")
    assert "(CONTRACT_CANCELLED" in changed.detail
    assert "customer_refund '1675.71' in the journal, '1775.71' in the file" in changed.detail
    assert "gross_refund" not in changed.detail, "only the columns that differ"
    [manifest] = [b for b in result.breaks if b.key == file + ".manifest.json"]
    assert "control_totals.customer_refund 3351.42 in the manifest, 3451.42 in the file" in manifest.detail
    assert result.files.totals["customer_refund"] == "3451.42" != result.journal.totals["customer_refund"]


@pytest.mark.parametrize("name", FORMATS)
def test_a_record_taken_out_of_its_file_is_missing(name: str) -> None:
    exchange, _ = delivered_day()
    file = only_file(exchange, name)
    data = blob(exchange, file)
    assert data is not None
    line = record_line(name, data, "VSC7000002", "CONTRACT_ACCEPTED")
    files_of(exchange).blobs[(PARTNER, file)] = data.replace(line.encode() + b"\n", b"")
    result = reconcile(exchange, name)
    [missing] = [b for b in result.breaks if b.kind is BreakKind.MISSING]
    assert (missing.key, missing.contract_number) == ("VSC7000002", "VSC7000002") and file in missing.detail


@pytest.mark.parametrize("name", FORMATS)
def test_an_unreadable_file_is_one_break_not_one_a_record(name: str) -> None:
    exchange, _ = delivered_day()
    file = only_file(exchange, name)
    files_of(exchange).blobs[(PARTNER, file)] = b"garbage\n"
    result = reconcile(exchange, name)
    assert BreakKind.MISSING not in kinds(result)
    [unreadable] = [b for b in result.breaks if b.kind is BreakKind.UNREADABLE_FILE]
    assert (unreadable.key, unreadable.contract_number) == (file, None)
    assert f"{file} cannot be read as {name}: line 1" in unreadable.detail and "(8 of them" in unreadable.detail
    [manifest] = [b for b in result.breaks if b.key == file + ".manifest.json"]
    assert "sha256" in manifest.detail and "record_count" not in manifest.detail


def two_files(name: str) -> tuple[Exchange, list[str]]:
    """The day's contracts in a first file; later cancellations of the same day in a second."""
    clock = Clock(NOON)
    exchange = memory_exchange(PARTNERS, clock=clock)
    decide(exchange, "contracts", list(contracts_of_the_day(6)))
    clock.now = NOON + timedelta(hours=1)
    exchange.delivery.deliver(DeliveryJob(PARTNER, name, DAY))
    decide(exchange, "cancellations", [cancellation(number) for number in CANCELLED], start=100)
    clock.now = NIGHT
    exchange.delivery.deliver(DeliveryJob(PARTNER, name, DAY))
    files = exchange.deliveries.files(PARTNER, name)
    assert [f.record_count for f in files] == [6, 2]
    return exchange, [f.blob_name for f in files]


@pytest.mark.parametrize("name", FORMATS)
def test_a_record_in_two_files_is_a_duplicate_naming_both(name: str) -> None:
    exchange, (first, second) = two_files(name)
    assert reconcile(exchange, name).agrees
    first_data, second_data = blob(exchange, first), blob(exchange, second)
    assert first_data is not None and second_data is not None
    line = record_line(name, first_data, "VSC7000003", "CONTRACT_ACCEPTED")
    files_of(exchange).blobs[(PARTNER, second)] = with_record_added(name, second_data, line)
    result = reconcile(exchange, name)
    [duplicate] = [b for b in result.breaks if b.kind is BreakKind.DUPLICATE]
    assert (duplicate.key, duplicate.contract_number) == ("VSC7000003", "VSC7000003")
    assert f"{second} record 1 repeats VSC7000003" in duplicate.detail and f"delivered in {first}" in duplicate.detail


def test_facts_delivered_again_by_a_second_file_are_duplicates() -> None:
    exchange, clock = delivered_day(3)
    state, etag = exchange.deliveries.read(PARTNER, "jsonl")
    exchange.deliveries.write(PARTNER, "jsonl", replace(state, watermarks={}), etag)  # a delivery bug
    clock.advance(hours=1)
    [again] = exchange.delivery.deliver(DeliveryJob(PARTNER, "jsonl", DAY)).files
    result = reconcile(exchange, "jsonl")
    # 3 accepted, 1 cancelled: one break per contract, the cancelled contract's two facts in one
    assert set(kinds(result)) == {BreakKind.DUPLICATE} and len(result.breaks) == 3
    assert sorted(b.contract_number or "" for b in result.breaks) == ["VSC7000000", "VSC7000001", "VSC7000002"]
    first, second = result.file_names
    assert second == again.blob_name
    assert all(f"is delivered in 2 files: {first}, {second}" in b.detail for b in result.breaks)


def test_a_fact_behind_the_watermark_in_no_delivered_file_is_missing() -> None:
    exchange, _ = delivered_day()
    [view] = views(exchange, "csv")
    feed = feed_named("csv")
    facts = subscribed(exchange, feed, DAY)
    result = compare_feed(partner=PARTNER, feed=feed, business_date=DAY, facts=facts, undelivered=[],
                          files=[replace(view, expected_facts=view.expected_facts[1:])], now=NIGHT,
                          late_after=LATE_AFTER)
    missing = [b for b in result.breaks if b.kind is BreakKind.MISSING]
    assert [b.contract_number for b in missing] == [facts[0].contract_number]
    assert "no delivered file covers it" in missing[0].detail


def late_fact(exchange: Exchange, clock: Clock) -> JournalFact:
    """A contract of the day decided after its nightly file was cut: a backlog."""
    clock.now = NIGHT + timedelta(hours=1)
    decide(exchange, "contracts", [next(contracts_of_the_day(1, prefix="LATE"))], start=200)
    [fact] = [f for f in exchange.journal.read(DAY) if f.contract_number == "LATE000000"]
    return fact


@pytest.mark.parametrize("name", FORMATS)
def test_an_undelivered_fact_is_late_once_past_its_limit_and_cleared_by_the_next_file(name: str) -> None:
    exchange, clock = delivered_day()
    fact = late_fact(exchange, clock)
    assert reconcile(exchange, name, now=decided_at(fact) + LATE_AFTER).agrees, "not late yet"
    clock.now = decided_at(fact) + LATE_AFTER + timedelta(minutes=1)
    before = reconcile(exchange, name)
    [late] = before.breaks
    assert (late.kind, late.key, late.contract_number) == (BreakKind.LATE, "LATE000000", "LATE000000")
    assert before.journal.records == 9 and before.files.records == 8
    [next_file] = exchange.delivery.deliver(DeliveryJob(PARTNER, name, DAY + timedelta(days=1))).files
    after = reconcile(exchange, name)
    assert after.agrees and after.journal == after.files == after.manifests
    assert after.file_names == (only_file_of_day(exchange, name, DAY), next_file.blob_name)
    assert resolve(before.breaks, after.breaks) == (late,)
    next_day = reconcile(exchange, name, DAY + timedelta(days=1))
    assert next_day.agrees and next_day.files.records == 0, "the late record of the day before is set aside"
    assert next_day.manifests.records == 0


def only_file_of_day(exchange: Exchange, name: str, day: date) -> str:
    [file] = [f.blob_name for f in exchange.deliveries.files(PARTNER, name) if f.business_date == day]
    return file


def test_a_record_of_another_date_not_known_to_be_there_is_named() -> None:
    exchange, clock = delivered_day()
    late_fact(exchange, clock)
    clock.now = NIGHT + timedelta(days=1)
    exchange.delivery.deliver(DeliveryJob(PARTNER, "csv", DAY + timedelta(days=1)))
    [view] = views(exchange, "csv", DAY + timedelta(days=1))
    result = reconcile(exchange, "csv", DAY + timedelta(days=1), files=[replace(view, other_facts=())])
    [unknown] = result.breaks
    assert (unknown.kind, unknown.key, unknown.contract_number) == (BreakKind.AMOUNT_MISMATCH, "LATE000000",
                                                                    "LATE000000")
    assert "matches no fact of 2026-03-03 the file's ranges cover" in unknown.detail


# ---------------------------------------------------------------------------------------------------------------
# The exchange against the source of record
# ---------------------------------------------------------------------------------------------------------------


def debezium(table: str, row: dict[str, Any], commit: int) -> dict[str, Any]:
    lsn = f"0000002a:{commit:08x}:0001"
    source = {"table": table, "commit_lsn": lsn, "change_lsn": lsn, "event_serial_no": 1, "ts_ms": 0}
    return {"payload": {"before": None, "after": row, "source": source, "op": "c"}}


def back_office(exchange: Exchange, *changes: tuple[str, str, int], start: int) -> None:
    """Contract statuses the source of record reports: (contract, status, commit)."""
    rows = [debezium("contracts", {"contract_number": n, "status": s}, commit) for n, s, commit in changes]
    decide(exchange, CDC, rows, start=start)


def claim_paid(exchange: Exchange, number: str, amount: str, commit: int, start: int) -> None:
    row = {"claim_number": "CLM-000001", "contract_number": number, "status": "PAID", "paid_amount": amount,
           "paid_date": "2026-03-02"}
    decide(exchange, CDC, [debezium("claims", row, commit)], start=start)


def against_back_office(exchange: Exchange, now: datetime) -> tuple[Break, ...]:
    decided = [f for f in exchange.journal.read(DAY)
               if f.kind in (FactKind.CONTRACT_ACCEPTED, FactKind.CONTRACT_CANCELLED)]
    records = exchange.contracts.load({f.contract_number for f in decided}, {}).contracts
    return compare_source_of_record(
        business_date=DAY, accepted=[(f, records[f.contract_number].record) for f in decided], now=now, grace=GRACE,
        catalogue=DEFAULT_CATALOGUE, state_rules=exchange.settings.state_rules,  # the rules the refunds were sent by
    )


def accepted_day(count: int = 3) -> tuple[Exchange, Clock]:
    clock = Clock(NOON)
    exchange = memory_exchange(PARTNERS, clock=clock)
    decide(exchange, "contracts", list(contracts_of_the_day(count)))
    return exchange, clock


def test_a_contract_the_source_of_record_never_reported_is_missing_after_the_grace() -> None:
    exchange, _ = accepted_day(2)
    assert against_back_office(exchange, NOON + GRACE) == (), "within the grace period"
    missing = against_back_office(exchange, NOON + GRACE + timedelta(minutes=1))
    assert [(b.kind, b.scope, b.key, b.contract_number) for b in missing] == [
        (BreakKind.MISSING, "source-of-record", "VSC7000000", "VSC7000000"),
        (BreakKind.MISSING, "source-of-record", "VSC7000001", "VSC7000001")]
    back_office(exchange, ("VSC7000000", "ACTIVE", 1), start=10)
    later = against_back_office(exchange, NOON + GRACE + timedelta(hours=1))
    assert [b.contract_number for b in later] == ["VSC7000001"]
    assert [b.contract_number for b in resolve(missing, later)] == ["VSC7000000"]


def test_the_exchange_and_the_back_office_agreeing_is_no_break() -> None:
    exchange, _ = accepted_day(3)
    decide(exchange, "cancellations", [cancellation("VSC7000002")], start=100)
    back_office(exchange, ("VSC7000000", "ACTIVE", 1), ("VSC7000001", "ACTIVE", 2), ("VSC7000002", "CANCELLED", 3),
                start=10)
    assert against_back_office(exchange, NOON + 2 * GRACE) == ()


def test_expired_and_suspended_are_not_a_status_mismatch_on_an_active_contract() -> None:
    exchange, _ = accepted_day(2)
    back_office(exchange, ("VSC7000000", "EXPIRED", 1), ("VSC7000001", "SUSPENDED", 2), start=10)
    assert against_back_office(exchange, NOON + 2 * GRACE) == ()


def test_a_status_that_differs_is_a_status_mismatch() -> None:
    exchange, _ = accepted_day(3)
    decide(exchange, "cancellations", [cancellation("VSC7000001"), cancellation("VSC7000002")], start=100)
    back_office(exchange, ("VSC7000000", "CANCELLED", 1), ("VSC7000001", "ACTIVE", 2), ("VSC7000002", "EXPIRED", 3),
                start=10)
    found = against_back_office(exchange, NOON + GRACE + timedelta(minutes=1))
    assert [(b.kind, b.key) for b in found] == [(BreakKind.STATUS_MISMATCH, n) for n in
                                                ("VSC7000001", "VSC7000002", "VSC7000000")]
    details = {b.key: b.detail for b in found}
    assert "the exchange has it ACTIVE, the source of record CANCELLED" in details["VSC7000000"]
    assert "the exchange has it CANCELLED, the source of record ACTIVE" in details["VSC7000001"]
    assert "the exchange has it CANCELLED, the source of record EXPIRED" in details["VSC7000002"]
    assert against_back_office(exchange, NOON + GRACE) == (), "within the grace period"


def test_a_claim_paid_after_the_cancellation_makes_the_refund_sent_differ() -> None:
    exchange, _ = accepted_day(1)
    back_office(exchange, ("VSC7000000", "ACTIVE", 1), start=10)
    decide(exchange, "cancellations", [cancellation("VSC7000000")], start=100)
    back_office(exchange, ("VSC7000000", "CANCELLED", 2), start=11)
    after_grace = NOON + GRACE + timedelta(minutes=1)
    assert against_back_office(exchange, after_grace) == ()
    claim_paid(exchange, "VSC7000000", "412.37", 3, start=12)
    [differs] = against_back_office(exchange, after_grace)
    assert (differs.kind, differs.scope, differs.key) == (BreakKind.AMOUNT_MISMATCH, "source-of-record", "VSC7000000")
    assert "claims the source of record reports paid (412.37)" in differs.detail
    assert "claims_deducted 0.00 sent, 412.37 due" in differs.detail
    assert "customer_refund 1675.71 sent, 1263.34 due" in differs.detail
    assert "gross_refund" not in differs.detail, "only the figures that differ"
