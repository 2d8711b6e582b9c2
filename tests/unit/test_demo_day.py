"""The demo day: reproducible bytes, a realistic market, and every event built for the outcome its kind names.

``_replay`` applies the rules of spec/EVENTS.md in hub-arrival order (parse, idempotency by
source + id, revisions, holds, cancellations) so each kind can be checked against what the exchange
must decide, not only against what ``parse_message`` says.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fnix.dev.demo_day import (
    ACCEPTED_KINDS,
    ADMINISTRATORS,
    CANCEL,
    CANCEL_REASONS,
    CANCELLATIONS_HUB,
    CONTRACTS_HUB,
    DUPLICATE_KINDS,
    EARLY_CANCEL,
    FORMULA_NAMES,
    HELD_KINDS,
    INVALID_DATES,
    INVALID_PRICE,
    INVALID_SCHEMA,
    INVALID_VIN,
    KINDS,
    MALFORMED,
    NEW,
    ORPHAN_CANCEL,
    REDELIVERY,
    REJECTED_AS,
    REPEAT,
    REVISION,
    SHOWCASE_NAMES,
    UNKNOWN_TYPE,
    DemoDay,
    DemoEvent,
    generate_day,
    is_line_safe,
    write_jsonl,
)

from function_app.domain.kernel.catalogue import DEFAULT_CATALOGUE, ProductType
from function_app.domain.kernel.messages import InboundMessage
from function_app.domain.kernel.vin import vin_is_valid
from function_app.domain.realtime.parsing import ParsedEvent, parse_message
from function_app.domain.realtime.payloads import US_STATES, CancellationRequest, ContractSubmission

ZONE = ZoneInfo("America/Chicago")
BUSINESS_DATE = date(2025, 3, 14)
RUN_TAG = "T0314"
CONTRACT_NUMBER = r"^[A-Z0-9-]{6,20}$"
MODEL_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"


@pytest.fixture(scope="module")
def day() -> DemoDay:
    return generate_day(BUSINESS_DATE, contracts=500, seed=20250314, run_tag=RUN_TAG, zone=ZONE)


@pytest.fixture(scope="module")
def parsed(day: DemoDay) -> list[ParsedEvent]:
    return _parse_all(day.events)


def _parse_all(events: Sequence[DemoEvent]) -> list[ParsedEvent]:
    return [
        parse_message(
            InboundMessage(
                hub=event.hub,
                body=event.body,
                partition="0",
                sequence_number=index,
                enqueued_time=event.at,
                partition_key=event.partition_key,
            )
        )
        for index, event in enumerate(events)
    ]


def _submissions(day: DemoDay, parsed: Sequence[ParsedEvent], kind: str) -> list[ContractSubmission]:
    return [
        p.payload
        for e, p in zip(day.events, parsed, strict=True)
        if e.kind == kind and isinstance(p.payload, ContractSubmission)
    ]


def _new_contracts(
    day: DemoDay, parsed: Sequence[ParsedEvent]
) -> dict[str, tuple[DemoEvent, ContractSubmission]]:
    contracts = {}
    for event, p in zip(day.events, parsed, strict=True):
        if event.kind == NEW:
            assert isinstance(p.payload, ContractSubmission)
            contracts[p.payload.contract_number] = (event, p.payload)
    return contracts


# --- a reference replay of EVENTS.md --------------------------------------------------------------


@dataclass
class _Record:
    dealer_code: str
    revision: int
    content_hash: str
    sale_date: date
    sale_odometer: int
    cancellation: str | None = None


def _replay(parsed: Sequence[ParsedEvent]) -> list[str]:
    """What the exchange must decide for each event, in arrival order, as a label."""
    outcomes = [""] * len(parsed)
    first_outcome: dict[str, str] = {}
    records: dict[str, _Record] = {}
    waiting: dict[str, list[tuple[int, CancellationRequest]]] = {}
    for index, event in enumerate(parsed):
        if event.input_key in first_outcome:
            outcomes[index] = "again " + first_outcome[event.input_key]
            continue
        payload = event.payload
        if event.reasons:
            outcome = "REJECTED " + " ".join(sorted({reason.code.value for reason in event.reasons}))
        elif isinstance(payload, ContractSubmission):
            outcome = _submit(records, payload, event.content_hash)
            for held_index, request in waiting.pop(payload.contract_number, []):
                outcomes[held_index] = "HELD, then " + _cancel(records[payload.contract_number], request)
        else:
            assert isinstance(payload, CancellationRequest)
            record = records.get(payload.contract_number)
            if record is None:
                waiting.setdefault(payload.contract_number, []).append((index, payload))
                outcome = "HELD"
            else:
                outcome = _cancel(record, payload)
        first_outcome[event.input_key] = outcome
        outcomes[index] = outcome
    return outcomes


def _submit(records: dict[str, _Record], contract: ContractSubmission, content_hash: str) -> str:
    record = records.get(contract.contract_number)
    if record is None:
        records[contract.contract_number] = _Record(
            contract.dealer_code,
            contract.revision,
            content_hash,
            contract.sale_date,
            contract.vehicle.odometer,
        )
        return "ACCEPTED"
    if contract.dealer_code != record.dealer_code:
        return "REJECTED NOT_AUTHORIZED"
    if record.cancellation is not None:
        return "REJECTED ALREADY_CANCELLED"
    if contract.revision == record.revision:
        return "DUPLICATE" if content_hash == record.content_hash else "REJECTED REVISION_CONFLICT"
    if contract.revision < record.revision:
        return "REJECTED STALE_REVISION"
    record.revision, record.content_hash = contract.revision, content_hash
    record.sale_date, record.sale_odometer = contract.sale_date, contract.vehicle.odometer
    return "ACCEPTED"


def _cancel(record: _Record, request: CancellationRequest) -> str:
    content = request.model_dump_json()
    if request.dealer_code != record.dealer_code:
        return "REJECTED NOT_AUTHORIZED"
    if record.cancellation is not None:
        return "DUPLICATE" if content == record.cancellation else "REJECTED ALREADY_CANCELLED"
    if request.cancel_date < record.sale_date or request.odometer < record.sale_odometer:
        return "REJECTED inconsistent with the contract"
    record.cancellation = content
    return "ACCEPTED"


def _expected_outcome(kind: str) -> str:
    if kind == EARLY_CANCEL:
        return "HELD, then ACCEPTED"
    if kind in ACCEPTED_KINDS:
        return "ACCEPTED"
    if kind in DUPLICATE_KINDS:
        return "DUPLICATE"
    if kind in HELD_KINDS:
        return "HELD"
    if kind == REDELIVERY:
        return "again ACCEPTED"
    return f"REJECTED {REJECTED_AS[kind]}"


def test_every_kind_has_one_expected_outcome() -> None:
    groups = [ACCEPTED_KINDS, DUPLICATE_KINDS, HELD_KINDS, frozenset(REJECTED_AS), frozenset({REDELIVERY})]
    assert sorted(kind for group in groups for kind in group) == sorted(KINDS)


def test_every_event_gets_the_outcome_its_kind_names(day: DemoDay, parsed: list[ParsedEvent]) -> None:
    outcomes = _replay(parsed)
    wrong = [
        (event.kind, outcome, event.body[:160])
        for event, outcome in zip(day.events, outcomes, strict=True)
        if outcome != _expected_outcome(event.kind)
    ]
    assert wrong == []


@pytest.mark.parametrize("contracts", [1, 7, 60])
def test_small_days_keep_the_outcomes_too(contracts: int) -> None:
    small = generate_day(BUSINESS_DATE, contracts=contracts, seed=contracts, run_tag="S1", zone=ZONE)
    outcomes = _replay(_parse_all(small.events))
    assert [_expected_outcome(e.kind) for e in small.events] == outcomes
    assert small.expected[NEW] == contracts


# --- parsing ----------------------------------------------------------------------------------------


def test_valid_kinds_parse_without_reasons(day: DemoDay, parsed: list[ParsedEvent]) -> None:
    parse_level = {INVALID_VIN, INVALID_DATES, INVALID_PRICE, INVALID_SCHEMA, MALFORMED, UNKNOWN_TYPE}
    for event, p in zip(day.events, parsed, strict=True):
        if event.kind not in parse_level:
            assert p.reasons == (), (event.kind, event.body[:200])
            assert p.payload is not None


def test_parse_level_rejections_carry_exactly_their_reason(day: DemoDay, parsed: list[ParsedEvent]) -> None:
    seen = Counter[str]()
    for event, p in zip(day.events, parsed, strict=True):
        if event.kind in (INVALID_VIN, INVALID_DATES, INVALID_PRICE, INVALID_SCHEMA, MALFORMED, UNKNOWN_TYPE):
            assert {reason.code for reason in p.reasons} == {REJECTED_AS[event.kind]}, event.body[:300]
            seen[event.kind] += 1
    assert all(
        seen[kind] >= 1 for kind in (INVALID_VIN, INVALID_DATES, INVALID_PRICE, INVALID_SCHEMA, UNKNOWN_TYPE)
    )


def test_malformed_bodies_cover_each_way_of_breaking_a_message(day: DemoDay) -> None:
    bodies = [event.body for event in day.events if event.kind == MALFORMED]
    not_utf8 = [body for body in bodies if not _decodes(body)]
    texts = [body.decode("utf-8") for body in bodies if _decodes(body)]
    assert not_utf8, "a Latin-1 body"
    assert any(text.startswith("[") for text in texts), "a JSON array"
    assert any(_not_json(text) for text in texts), "a body that is not JSON"
    assert any(text.startswith("{") and not _not_json(text) and "specversion" not in text for text in texts)


def _decodes(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _not_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return True
    return False


# --- identity and order ------------------------------------------------------------------------------


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not() -> None:
    def make(seed: int) -> DemoDay:
        return generate_day(BUSINESS_DATE, contracts=300, seed=seed, run_tag="R1", zone=ZONE)

    first, second = make(11), make(11)
    assert first == second
    assert [e.body for e in first.events] == [e.body for e in second.events]
    assert [e.body for e in make(12).events] != [e.body for e in first.events]


def test_bytes_do_not_depend_on_the_interpreter_hash_seed() -> None:
    script = (
        "import hashlib, datetime, zoneinfo\n"
        "from fnix.dev.demo_day import generate_day\n"
        "day = generate_day(datetime.date(2025, 3, 14), contracts=200, seed=5, run_tag='H1',"
        " zone=zoneinfo.ZoneInfo('America/Chicago'))\n"
        "print(hashlib.sha256(b''.join(e.body + e.at.isoformat().encode() for e in day.events)).hexdigest())\n"
    )
    here = generate_day(BUSINESS_DATE, contracts=200, seed=5, run_tag="H1", zone=ZONE)
    digest = hashlib.sha256(b"".join(e.body + e.at.isoformat().encode() for e in here.events)).hexdigest()
    root = Path(__file__).resolve().parents[2]
    for hash_seed in ("0", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True, check=True
        )
        assert result.stdout.strip() == digest


def test_events_arrive_in_order_on_the_business_date(day: DemoDay, parsed: list[ParsedEvent]) -> None:
    moments = [event.at for event in day.events]
    assert moments == sorted(moments)
    for event, p in zip(day.events, parsed, strict=True):
        assert event.at.tzinfo is UTC
        assert event.at.astimezone(ZONE).date() == BUSINESS_DATE
        assert event.hub in (CONTRACTS_HUB, CANCELLATIONS_HUB)
        if p.event_id is not None:
            stamp = json.loads(event.body)["time"]
            sent = datetime.fromisoformat(stamp)
            assert sent.utcoffset() == sent.astimezone(ZONE).utcoffset()
            assert sent <= event.at
            assert p.source == f"urn:dealer:{event.partition_key}"


def test_contracts_are_signed_during_dealer_hours(day: DemoDay) -> None:
    for event in day.events:
        if event.kind == NEW:
            signed = datetime.fromisoformat(json.loads(event.body)["time"]).astimezone(ZONE).time()
            assert time(9) <= signed < time(21, 5)


@pytest.mark.parametrize("business_date", [date(2025, 3, 9), date(2025, 11, 2)])
def test_daylight_saving_days_stay_on_their_date(business_date: date) -> None:
    zone = ZoneInfo("America/New_York")
    dst_day = generate_day(business_date, contracts=120, seed=3, run_tag="DST", zone=zone)
    for event in dst_day.events:
        assert event.at.astimezone(zone).date() == business_date


def test_contract_numbers_and_event_ids_are_unique_in_the_run(
    day: DemoDay, parsed: list[ParsedEvent]
) -> None:
    new_numbers = [contract.contract_number for contract in _submissions(day, parsed, NEW)]
    assert len(new_numbers) == len(set(new_numbers)) == day.expected[NEW]
    other_numbers = [
        p.subject
        for e, p in zip(day.events, parsed, strict=True)
        if e.kind in (INVALID_VIN, INVALID_DATES, INVALID_PRICE, INVALID_SCHEMA, ORPHAN_CANCEL, UNKNOWN_TYPE)
    ]
    assert len(other_numbers) == len(set(other_numbers))
    assert not set(other_numbers) & set(new_numbers)
    for number in [*new_numbers, *other_numbers]:
        assert number is not None
        assert f"-{RUN_TAG}-" in number
        assert re.match(CONTRACT_NUMBER, number)
    identities = [
        (p.source, p.event_id)
        for e, p in zip(day.events, parsed, strict=True)
        if e.kind != REDELIVERY and p.event_id
    ]
    assert len(identities) == len(set(identities))
    for source, event_id in identities:
        assert source is not None and event_id is not None
        dealer = source.removeprefix("urn:dealer:")
        assert event_id.startswith(f"{dealer}-{RUN_TAG}-")


def test_another_run_tag_shares_no_number_or_id(day: DemoDay, parsed: list[ParsedEvent]) -> None:
    other = generate_day(BUSINESS_DATE, contracts=100, seed=20250314, run_tag="T0315", zone=ZONE)
    other_parsed = _parse_all(other.events)

    def keys(events: Sequence[ParsedEvent]) -> set[str]:
        return {key for p in events for key in (p.input_key, p.routing_key) if key}

    assert not keys(parsed) & keys(other_parsed)


def test_redeliveries_repeat_an_earlier_body_exactly(day: DemoDay) -> None:
    earlier: dict[bytes, str] = {}
    for event in day.events:
        if event.kind == REDELIVERY:
            assert earlier.get(event.body) in (NEW, REVISION, CANCEL)
        else:
            earlier.setdefault(event.body, event.kind)
    assert day.expected[REDELIVERY] >= 5


def test_repeats_resend_the_content_under_a_new_id(day: DemoDay, parsed: list[ParsedEvent]) -> None:
    first: dict[tuple[str, str], ParsedEvent] = {}
    repeats = 0
    for event, p in zip(day.events, parsed, strict=True):
        if event.kind == REPEAT:
            original = first[event.hub, p.routing_key]
            assert original.event_id != p.event_id and original.content_hash == p.content_hash
            repeats += 1
        elif event.kind in (NEW, CANCEL) and p.payload is not None:
            first.setdefault((event.hub, p.routing_key), p)
    assert repeats == day.expected[REPEAT] > 0


def test_early_cancellations_reach_the_hub_before_their_contract(
    day: DemoDay, parsed: list[ParsedEvent]
) -> None:
    contracts = _new_contracts(day, parsed)
    early = [(e, p) for e, p in zip(day.events, parsed, strict=True) if e.kind == EARLY_CANCEL]
    assert early
    for event, p in early:
        contract_event, _ = contracts[p.routing_key]
        assert event.at < contract_event.at
        assert contract_event.at.astimezone(ZONE).date() == BUSINESS_DATE


def test_expected_counts_every_kind(day: DemoDay) -> None:
    assert list(day.expected) == list(KINDS)
    assert day.expected == {kind: sum(1 for e in day.events if e.kind == kind) for kind in KINDS}


def test_mix_for_a_full_day() -> None:
    full = generate_day(BUSINESS_DATE, contracts=3000, seed=1, run_tag="FULL", zone=ZONE)
    counts, contracts = full.expected, 3000
    cancellations = counts[CANCEL] + counts[EARLY_CANCEL]
    assert counts[NEW] == contracts
    assert counts[REVISION] / contracts == pytest.approx(0.03, abs=0.005)
    assert counts[REDELIVERY] / contracts == pytest.approx(0.02, abs=0.005)
    assert counts[REPEAT] / contracts == pytest.approx(0.01, abs=0.003)
    invalid = sum(counts[kind] for kind in REJECTED_AS if kind not in (MALFORMED, UNKNOWN_TYPE))
    invalid -= counts["second-cancel"] + counts["unauthorized-cancel"]
    assert invalid / contracts == pytest.approx(0.02, abs=0.005)
    assert (counts[MALFORMED] + counts[UNKNOWN_TYPE]) / contracts == pytest.approx(0.003, abs=0.002)
    assert cancellations / contracts == pytest.approx(0.15, abs=0.01)
    assert counts[EARLY_CANCEL] / cancellations == pytest.approx(0.03, abs=0.01)
    assert counts[ORPHAN_CANCEL] / contracts == pytest.approx(0.005, abs=0.002)
    assert 2 <= counts["second-cancel"] <= 10 and 2 <= counts["unauthorized-cancel"] <= 10


# --- the market ---------------------------------------------------------------------------------------


def test_every_product_and_several_oems_and_administrators(day: DemoDay, parsed: list[ParsedEvent]) -> None:
    contracts = _submissions(day, parsed, NEW)
    assert {c.product.type for c in contracts} == set(ProductType)
    assert len({c.oem for c in contracts}) >= 8
    assert {c.administrator for c in contracts} == set(ADMINISTRATORS)
    assert len({c.dealer_code for c in contracts}) >= 30
    assert len({c.lienholder.code for c in contracts if c.lienholder}) >= 10
    assert {c.vehicle.condition for c in contracts} == {"NEW", "USED", "CPO"}
    assert len({c.customer.state for c in contracts}) >= 5


def test_contract_details_are_believable(day: DemoDay, parsed: list[ParsedEvent]) -> None:
    contracts = _submissions(day, parsed, NEW)
    for c in contracts:
        no_mileage_limit = c.product.type in (ProductType.GAP, ProductType.KEY, ProductType.APPEARANCE)
        assert (c.term_miles is None) == no_mileage_limit
        assert c.product.code.startswith(
            {"TIRE_WHEEL": "TW-", "APPEARANCE": "APP-"}.get(c.product.type, c.product.type)
        )
        assert c.pricing.retail_price > c.pricing.dealer_cost > Decimal(0)
        assert c.sale_date <= BUSINESS_DATE and c.sale_date <= c.effective
        assert c.customer.state in US_STATES
        assert c.vehicle.year <= c.sale_date.year + 1
        if c.product.type == ProductType.GAP:
            assert c.lienholder is not None
        if c.product.type == ProductType.VSC:
            assert c.vehicle.odometer <= 150_000
        if c.vehicle.condition == "NEW":
            assert c.vehicle.odometer < 100 and c.vehicle.year >= c.sale_date.year
        else:
            assert c.vehicle.odometer >= 1000 and c.vehicle.year < c.sale_date.year
    sold_today = sum(1 for c in contracts if c.sale_date == BUSINESS_DATE)
    assert 0.75 < sold_today / len(contracts) < 0.95


def test_vins_are_valid_and_match_their_model_year(day: DemoDay, parsed: list[ParsedEvent]) -> None:
    for event, p in zip(day.events, parsed, strict=True):
        if isinstance(p.payload, ContractSubmission):
            vehicle = p.payload.vehicle
            assert vin_is_valid(vehicle.vin), event.kind
            assert vehicle.vin[9] == MODEL_YEAR_CODES[(vehicle.year - 1980) % 30]


def test_names_include_the_world_and_spreadsheet_formulas(day: DemoDay, parsed: list[ParsedEvent]) -> None:
    names = {(c.customer.first_name, c.customer.last_name) for c in _submissions(day, parsed, NEW)}
    assert set(SHOWCASE_NAMES) <= names
    assert set(FORMULA_NAMES) <= names
    assert {("小明", "王"), ("Ngozi", "Okonkwo"), ("José", "Ñúñez")} <= names
    assert any(first == "Zoë" for first, _ in names)
    assert any(not name.isascii() for pair in names for name in pair if pair not in SHOWCASE_NAMES)


def test_cancellations_cover_every_reason_and_both_sides_of_free_look(
    day: DemoDay, parsed: list[ParsedEvent]
) -> None:
    contracts = _new_contracts(day, parsed)
    reasons = Counter[str]()
    free_look = outside = gap_total_losses = 0
    for event, p in zip(day.events, parsed, strict=True):
        if event.kind not in (CANCEL, EARLY_CANCEL):
            continue
        assert isinstance(p.payload, CancellationRequest)
        request, (_, contract) = p.payload, contracts[p.routing_key]
        assert request.cancel_date == BUSINESS_DATE
        assert request.odometer >= contract.vehicle.odometer
        reasons[request.reason] += 1
        days = (request.cancel_date - contract.sale_date).days
        if days <= DEFAULT_CATALOGUE[ProductType(contract.product.type)].free_look_days:
            free_look += 1
        else:
            outside += 1
        if contract.product.type == ProductType.GAP and request.reason == "TOTAL_LOSS":
            assert contract.lienholder is not None
            gap_total_losses += 1
        if contract.lienholder is None:
            assert request.reason not in ("LOAN_PAYOFF", "REPOSSESSION")
    assert set(reasons) == set(CANCEL_REASONS)
    assert free_look > 0 and outside > 0
    assert gap_total_losses >= 2


# --- files and arguments ---------------------------------------------------------------------------


def test_write_jsonl_writes_every_line_safe_body_in_order(day: DemoDay, tmp_path: Path) -> None:
    paths = write_jsonl(day, tmp_path / "demo")
    assert set(paths) == {CONTRACTS_HUB, CANCELLATIONS_HUB}
    for hub, path in paths.items():
        assert path.name == f"{hub}.jsonl"
        expected = [e.body for e in day.events if e.hub == hub and is_line_safe(e.body)]
        assert path.read_bytes().split(b"\n")[:-1] == expected
    kept = sum(len(path.read_bytes().splitlines()) for path in paths.values())
    left_out = [e for e in day.events if not is_line_safe(e.body)]
    assert kept + len(left_out) == len(day.events)
    assert left_out and all(not _decodes(e.body) for e in left_out)
    contracts_text = paths[CONTRACTS_HUB].read_text(encoding="utf-8")
    assert any(_not_json(line) for line in contracts_text.splitlines())


@pytest.mark.parametrize("run_tag", ["demo", "RUN-1", "", "ABCDEFGHIJK"])
def test_run_tags_that_cannot_make_contract_numbers_are_refused(run_tag: str) -> None:
    with pytest.raises(ValueError, match="run_tag"):
        generate_day(BUSINESS_DATE, contracts=10, seed=1, run_tag=run_tag, zone=ZONE)


def test_a_day_needs_a_contract() -> None:
    with pytest.raises(ValueError, match="contracts"):
        generate_day(BUSINESS_DATE, contracts=0, seed=1, run_tag="X1", zone=ZONE)
