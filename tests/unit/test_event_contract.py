"""The dealer-facing event contract (spec/EVENTS.md), rule by rule, on mutations of the spec's own examples."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from function_app.domain.kernel.feedback import ReasonCode
from function_app.domain.kernel.messages import MAX_BODY_BYTES, InboundMessage
from function_app.domain.kernel.vin import with_check_digit
from function_app.domain.realtime.cloudevents import EVENT_HUBS_MAX_BODY_BYTES
from function_app.domain.realtime.parsing import ParsedEvent, parse_message
from function_app.domain.realtime.payloads import CancellationRequest, ContractSubmission

Event = dict[str, Any]
Mutation = Callable[[Event], None]

# spec/examples/contracts.jsonl, line 1 (VSC, the REFUNDS.md worked example's contract)
CONTRACT: Event = {
    "specversion": "1.0",
    "id": "D10442-000187",
    "source": "urn:dealer:D10442",
    "type": "fni.contract.submitted.v1",
    "time": "2025-01-15T16:42:05-06:00",
    "subject": "VSC2501150001",
    "datacontenttype": "application/json",
    "data": {
        "contract_number": "VSC2501150001",
        "revision": 1,
        "dealer_code": "D10442",
        "product": {"code": "VSC-PLAT-60", "type": "VSC"},
        "term_months": 60,
        "term_miles": 60000,
        "sale_date": "2025-01-15",
        "effective_date": "2025-01-15",
        "vehicle": {
            "vin": "4T1BF1FK3GU123456",
            "year": 2016,
            "make": "Toyota",
            "model": "Camry",
            "odometer": 12000,
            "condition": "USED",
        },
        "customer": {"first_name": "María", "last_name": "Núñez", "state": "TX", "postal_code": "75201"},
        "lienholder": {"name": "First Prairie Credit Union", "code": "FPCU"},
        "pricing": {"retail_price": "2495.00", "dealer_cost": "1100.00", "currency": "USD"},
        "oem": "TOYOTA",
        "administrator": "ADM-01",
    },
}

# spec/examples/contracts.jsonl, line 2 (GAP: no datacontenttype, no effective_date, term_miles null)
GAP_CONTRACT: Event = {
    "specversion": "1.0",
    "id": "D20117-004411",
    "source": "urn:dealer:D20117",
    "type": "fni.contract.submitted.v1",
    "time": "2025-05-31T11:05:00-04:00",
    "subject": "GAP2505310007",
    "data": {
        "contract_number": "GAP2505310007",
        "revision": 1,
        "dealer_code": "D20117",
        "product": {"code": "GAP-STD-72", "type": "GAP"},
        "term_months": 72,
        "term_miles": None,
        "sale_date": "2025-05-31",
        "vehicle": {
            "vin": "JTDKN3DU6A0123456",
            "year": 2025,
            "make": "Honda",
            "model": "CR-V",
            "odometer": 8,
            "condition": "NEW",
        },
        "customer": {"first_name": "Dana", "last_name": "O'Neil", "state": "GA", "postal_code": "30303-1234"},
        "lienholder": {"name": "Peach State Auto Finance", "code": "PSAF"},
        "pricing": {"retail_price": "895.00", "dealer_cost": "400.00", "currency": "USD"},
        "oem": "HONDA",
        "administrator": "ADM-02",
    },
}

# spec/examples/cancellations.jsonl, line 1
CANCELLATION: Event = {
    "specversion": "1.0",
    "id": "D10442-000952",
    "source": "urn:dealer:D10442",
    "type": "fni.contract.cancel_requested.v1",
    "time": "2026-03-02T09:12:44-06:00",
    "subject": "VSC2501150001",
    "data": {
        "contract_number": "VSC2501150001",
        "dealer_code": "D10442",
        "cancel_date": "2026-03-02",
        "odometer": 30500,
        "reason": "CUSTOMER_REQUEST",
    },
}

CONTRACT_KEY = "urn:dealer:D10442\nD10442-000187"
ENQUEUED = datetime(2026, 3, 2, 15, 42, 6, tzinfo=UTC)  # after every date of the spec's examples


# --- building events and messages ------------------------------------------------------------------------


def _node(event: Event, path: str) -> tuple[dict[str, Any], str]:
    *parents, leaf = path.split(".")
    node = event
    for part in parents:
        node = node[part]
    return node, leaf


def setting(path: str, value: object) -> Mutation:
    """Sets a dotted path of the event (e.g. "data.vehicle.odometer") to `value`."""

    def apply(event: Event) -> None:
        node, leaf = _node(event, path)
        node[leaf] = value

    return apply


def removing(path: str) -> Mutation:
    def apply(event: Event) -> None:
        node, leaf = _node(event, path)
        del node[leaf]

    return apply


def numbered(number: str) -> Mutation:
    """Both `subject` and `data.contract_number`, so only the number's own rule is at stake."""

    def apply(event: Event) -> None:
        event["subject"] = number
        event["data"]["contract_number"] = number

    return apply


def mutated(base: Event, *mutations: Mutation) -> Event:
    event = copy.deepcopy(base)
    for mutation in mutations:
        mutation(event)
    return event


def encode(event: Event) -> bytes:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def message(body: Event | bytes, hub: str = "contracts") -> InboundMessage:
    raw = body if isinstance(body, bytes) else encode(body)
    return InboundMessage(hub, raw, "3", 41, ENQUEUED, partition_key="D10442")


def parse(body: Event | bytes, hub: str = "contracts") -> ParsedEvent:
    return parse_message(message(body, hub))


def parse_contract(*mutations: Mutation) -> ParsedEvent:
    return parse(mutated(CONTRACT, *mutations))


def parse_cancellation(*mutations: Mutation) -> ParsedEvent:
    return parse(mutated(CANCELLATION, *mutations), "cancellations")


def found(parsed: ParsedEvent) -> list[tuple[ReasonCode, str | None]]:
    return [(reason.code, reason.field) for reason in parsed.reasons]


def digest_key(body: bytes) -> str:
    return "body:" + hashlib.sha256(body).hexdigest()


def padded(event: Event, size: int) -> bytes:
    """The event's JSON padded with insignificant whitespace to exactly `size` bytes."""
    raw = encode(event)
    assert len(raw) <= size
    return raw[:-1] + b" " * (size - len(raw)) + raw[-1:]


def vin_with(position: int, char: str) -> str:
    """The example VIN with `char` at 1-based `position` (check digit left as it was)."""
    vin: str = CONTRACT["data"]["vehicle"]["vin"]
    return vin[: position - 1] + char + vin[position:]


def case(name: str, field: str | None, *mutations: Mutation) -> Any:
    return pytest.param(mutations, field, id=name)


# --- the spec's examples ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "hub", "key"),
    [
        pytest.param(CONTRACT, "contracts", CONTRACT_KEY, id="vsc-contract"),
        pytest.param(GAP_CONTRACT, "contracts", "urn:dealer:D20117\nD20117-004411", id="gap-contract"),
        pytest.param(CANCELLATION, "cancellations", "urn:dealer:D10442\nD10442-000952", id="cancellation"),
    ],
)
def test_spec_examples_parse_without_reasons(event: Event, hub: str, key: str) -> None:
    parsed = parse(event, hub)

    assert parsed.reasons == ()
    assert parsed.payload is not None
    assert parsed.input_key == key
    assert parsed.event_id == event["id"]
    assert parsed.source == event["source"]
    assert parsed.event_type == event["type"]
    assert parsed.subject == event["subject"]
    assert parsed.routing_key == event["data"]["contract_number"]


def test_contract_payload_is_typed() -> None:
    payload = parse(CONTRACT).payload

    assert isinstance(payload, ContractSubmission)
    assert type(payload.pricing.retail_price) is Decimal
    assert type(payload.pricing.dealer_cost) is Decimal
    assert str(payload.pricing.retail_price) == "2495.00"
    assert str(payload.pricing.dealer_cost) == "1100.00"
    assert type(payload.sale_date) is date
    assert payload.sale_date == date(2025, 1, 15)
    assert payload.effective_date == date(2025, 1, 15)
    assert payload.revision == 1
    assert payload.term_miles == 60_000
    assert payload.vehicle.odometer == 12_000
    assert payload.customer.first_name == "María"
    assert payload.lienholder is not None and payload.lienholder.code == "FPCU"
    # money goes out as decimal strings again, never as a binary float
    dumped = payload.model_dump(mode="json")
    assert dumped["pricing"] == {"retail_price": "2495.00", "dealer_cost": "1100.00", "currency": "USD"}
    assert dumped["sale_date"] == "2025-01-15"


def test_gap_payload_defaults() -> None:
    payload = parse(GAP_CONTRACT).payload

    assert isinstance(payload, ContractSubmission)
    assert payload.term_miles is None
    assert payload.effective_date == date(2025, 5, 31)
    assert payload.effective == date(2025, 5, 31)  # effective_date defaults to sale_date
    assert payload.pricing.retail_price == Decimal("895.00")


def test_cancellation_payload_is_typed() -> None:
    payload = parse(CANCELLATION, "cancellations").payload

    assert isinstance(payload, CancellationRequest)
    assert payload.cancel_date == date(2026, 3, 2)
    assert type(payload.cancel_date) is date
    assert payload.odometer == 30_500
    assert payload.reason == "CUSTOMER_REQUEST"


@pytest.mark.parametrize(
    "mutations",
    [
        pytest.param((removing("datacontenttype"),), id="datacontenttype-absent"),
        pytest.param((setting("datacontenttype", None),), id="datacontenttype-null"),
        pytest.param((setting("datacontenttype", "application/json; charset=utf-8"),), id="json-charset"),
        pytest.param((setting("datacontenttype", "application/json;charset=UTF8"),), id="json-charset-utf8"),
        pytest.param((setting("datacontenttype", 'application/json; charset="utf-8"'),), id="json-quoted-charset"),
        pytest.param((setting("datacontenttype", "Application/JSON"),), id="json-any-case"),
        pytest.param((setting("datacontenttype", "text/json"),), id="text-json"),
        pytest.param((setting("datacontenttype", "application/vnd.fni.contract+json"),), id="suffix-json"),
        pytest.param((setting("datacontenttype", "application/ld+json; profile=x; charset=utf-8"),), id="params"),
        pytest.param((removing("data.revision"),), id="revision-absent-defaults-to-1"),
        pytest.param((removing("data.effective_date"),), id="effective_date-absent"),
        pytest.param((setting("data.effective_date", "2025-02-14"),), id="effective_date-30-days-after"),
        pytest.param((removing("data.lienholder"),), id="lienholder-absent"),
        pytest.param((removing("data.oem"),), id="oem-absent"),
        pytest.param((setting("data.term_months", 1),), id="term_months-1"),
        pytest.param((setting("data.term_months", 144),), id="term_months-144"),
        pytest.param((setting("data.term_miles", None),), id="term_miles-null"),
        pytest.param((setting("data.term_miles", 1),), id="term_miles-1"),
        pytest.param((setting("data.vehicle.year", 1981),), id="year-1981"),
        pytest.param((setting("data.vehicle.year", 2027),), id="year-sale-year-plus-2"),
        pytest.param((setting("data.vehicle.odometer", 0),), id="odometer-0"),
        pytest.param((setting("data.vehicle.odometer", 999_999),), id="odometer-999999"),
        pytest.param((setting("data.vehicle.condition", "CPO"),), id="condition-CPO"),
        pytest.param((setting("data.vehicle.make", "M" * 40),), id="make-40-chars"),
        pytest.param((setting("data.customer.last_name", "L" * 50),), id="last_name-50-chars"),
        pytest.param((setting("data.customer.state", "DC"),), id="state-DC"),
        pytest.param((setting("data.customer.state", "PR"),), id="state-PR"),
        pytest.param((setting("data.customer.postal_code", "75201-1234"),), id="zip-plus-4"),
        pytest.param(
            (setting("data.pricing.retail_price", "0.01"), setting("data.pricing.dealer_cost", "0.01")),
            id="retail-0.01",
        ),
        pytest.param(
            (setting("data.pricing.retail_price", "100000.00"), setting("data.pricing.dealer_cost", "0.00")),
            id="retail-100000.00-cost-0.00",
        ),
        pytest.param((setting("data.pricing.dealer_cost", "2495.00"),), id="cost-equals-retail"),
        pytest.param((setting("data.vehicle.vin", with_check_digit("1M8GDM9A0KP042788")),), id="vin-check-X"),
        pytest.param((numbered("AB-123"),), id="contract_number-6-chars-with-dash"),
        pytest.param((numbered("A" * 20),), id="contract_number-20-chars"),
        pytest.param((setting("data.dealer_code", "D10"), setting("source", "urn:dealer:D10")), id="dealer-3"),
        pytest.param((setting("time", "2025-01-15T22:42:05Z"),), id="time-Z"),
        pytest.param((setting("time", "2025-01-15T22:42:05.123+00:00"),), id="time-fraction"),
        pytest.param((setting("time", "2025-01-15T22:42:05.123456789Z"),), id="time-nanoseconds"),
        pytest.param((setting("time", "2025-01-15t22:42:05z"),), id="time-lowercase-t-z"),
        pytest.param((setting("id", "x" * 128),), id="id-128-chars"),
        pytest.param((setting("traceparent", "00-abc-def-01"),), id="extension-attribute"),
        pytest.param((setting("data.vehicle.trim", "XLE"),), id="unknown-data-field"),
    ],
)
def test_boundary_values_are_accepted(mutations: tuple[Mutation, ...]) -> None:
    parsed = parse_contract(*mutations)

    assert found(parsed) == []
    assert isinstance(parsed.payload, ContractSubmission)


# --- MALFORMED: not a readable envelope -------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"\xff\xfe{}", id="not-utf8"),
        pytest.param('{"id": "Zoë"}'.encode("latin-1"), id="latin-1-json"),
        pytest.param(encode(CONTRACT).decode("utf-8").encode("utf-16"), id="utf-16"),
        pytest.param(b"", id="empty"),
        pytest.param(b"{", id="truncated-json"),
        pytest.param(b"specversion=1.0", id="not-json"),
        pytest.param(encode(CONTRACT)[:-1], id="contract-missing-last-brace"),
        pytest.param(b"[" + encode(CONTRACT) + b"]", id="json-array"),
        pytest.param(b"42", id="json-number"),
        pytest.param(b'"D10442-000187"', id="json-string"),
        pytest.param(b"null", id="json-null"),
        pytest.param(padded(CONTRACT, EVENT_HUBS_MAX_BODY_BYTES + 1), id="over-1MiB-not-read"),
        pytest.param(b"\xff" * (MAX_BODY_BYTES + 1), id="over-256KiB-not-utf8"),
        pytest.param(b"[" * (MAX_BODY_BYTES + 1), id="over-256KiB-not-json"),
    ],
)
def test_unreadable_body_is_malformed_and_keyed_by_its_digest(body: bytes) -> None:
    parsed = parse(body)

    assert found(parsed) == [(ReasonCode.MALFORMED, None)]
    assert parsed.reasons[0].message
    assert parsed.payload is None
    assert parsed.input_key == digest_key(body)
    assert parsed.event_id is None
    assert parsed.source is None


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        pytest.param(padded(CONTRACT, MAX_BODY_BYTES + 1), [None], id="256KiB-plus-1"),
        pytest.param(padded(CONTRACT, EVENT_HUBS_MAX_BODY_BYTES), [None], id="exactly-1MiB"),
        pytest.param(
            padded(mutated(CONTRACT, setting("time", "noon")), MAX_BODY_BYTES + 1), [None, "time"], id="bad-time-too"
        ),
    ],
)
def test_oversize_but_readable_body_is_malformed_and_answered_with_its_id(
    body: bytes, fields: list[str | None]
) -> None:
    parsed = parse(body)

    assert found(parsed) == [(ReasonCode.MALFORMED, field) for field in fields]
    assert f"{len(body)} bytes" in parsed.reasons[0].message
    assert parsed.payload is None
    assert parsed.event_id == "D10442-000187"
    assert parsed.input_key == CONTRACT_KEY
    assert parsed.routing_key == "VSC2501150001"


def test_oversize_body_is_measured_in_bytes() -> None:
    body = encode(mutated(CONTRACT, setting("padding", "é" * (MAX_BODY_BYTES // 2))))

    assert len(body.decode("utf-8")) <= MAX_BODY_BYTES < len(body)
    assert found(parse(body)) == [(ReasonCode.MALFORMED, None)]


def test_body_of_exactly_256KiB_is_not_rejected_for_size() -> None:
    body = padded(CONTRACT, MAX_BODY_BYTES)

    assert MAX_BODY_BYTES == 256 * 1024
    assert len(body) == 256 * 1024
    parsed = parse(body)
    assert found(parsed) == []
    assert isinstance(parsed.payload, ContractSubmission)
    assert parsed.input_key == CONTRACT_KEY


def test_digest_keys_differ_per_body() -> None:
    assert parse(b"[1]").input_key != parse(b"[2]").input_key
    assert parse(b"[1]").input_key == parse(b"[1]").input_key


ENVELOPE_CASES = [
    case("specversion-0.3", "specversion", setting("specversion", "0.3")),
    case("specversion-number", "specversion", setting("specversion", 1.0)),
    case("specversion-missing", "specversion", removing("specversion")),
    case("subject-missing", "subject", removing("subject")),
    case("subject-empty", "subject", setting("subject", "")),
    case("subject-number", "subject", setting("subject", 2501150001)),
    case("time-missing", "time", removing("time")),
    case("time-without-offset", "time", setting("time", "2025-01-15T16:42:05")),
    case("time-date-only", "time", setting("time", "2025-01-15")),
    case("time-not-a-time", "time", setting("time", "yesterday afternoon")),
    case("time-impossible", "time", setting("time", "2025-01-15T25:42:05-06:00")),
    case("time-epoch-number", "time", setting("time", 1736980925)),
    case("datacontenttype-xml", "datacontenttype", setting("datacontenttype", "application/xml")),
    case("datacontenttype-text", "datacontenttype", setting("datacontenttype", "text/plain")),
    case("datacontenttype-json-latin1", "datacontenttype", setting("datacontenttype", "text/json; charset=latin1")),
    case("datacontenttype-jsonl", "datacontenttype", setting("datacontenttype", "application/jsonl")),
    case("datacontenttype-json-seq", "datacontenttype", setting("datacontenttype", "application/json-seq")),
    case("datacontenttype-text-suffix", "datacontenttype", setting("datacontenttype", "text/x+json")),
    case("datacontenttype-no-subtype", "datacontenttype", setting("datacontenttype", "application/")),
    case("datacontenttype-bad-param", "datacontenttype", setting("datacontenttype", "application/json; utf-8")),
    case("datacontenttype-number", "datacontenttype", setting("datacontenttype", 1)),
    case("type-missing", "type", removing("type")),
    case("type-empty", "type", setting("type", "")),
    case("type-number", "type", setting("type", 1)),
]

KEYLESS_ENVELOPE_CASES = [
    case("id-missing", "id", removing("id")),
    case("id-empty", "id", setting("id", "")),
    case("id-129-chars", "id", setting("id", "x" * 129)),
    case("id-number", "id", setting("id", 187)),
    case("source-missing", "source", removing("source")),
    case("source-empty", "source", setting("source", "")),
]



@pytest.mark.parametrize(("mutations", "field"), ENVELOPE_CASES)
def test_bad_envelope_attribute_is_malformed_and_keeps_source_and_id_as_key(
    mutations: tuple[Mutation, ...], field: str
) -> None:
    parsed = parse_contract(*mutations)

    assert found(parsed) == [(ReasonCode.MALFORMED, field)]
    assert field in parsed.reasons[0].message
    assert parsed.payload is None
    assert parsed.input_key == CONTRACT_KEY


@pytest.mark.parametrize(
    "time",
    [
        pytest.param("20250115T164205-0600", id="iso-basic-format"),
        pytest.param("2025-W03-3T16:42:05-06:00", id="iso-week-date"),
        pytest.param("2025-01-15T16:42:05-06", id="offset-without-minutes"),
        pytest.param("2025-01-15T16:42:05-0600", id="offset-without-colon"),
        pytest.param("2025-01-15T16:42-06:00", id="no-seconds"),
        pytest.param("2025-01-15T16Z", id="hour-only"),
        pytest.param("2025-01-15T16:42:05,5Z", id="comma-fraction"),
    ],
)
def test_iso8601_time_that_is_not_rfc3339_is_malformed(time: str) -> None:
    assert found(parse_contract(setting("time", time))) == [(ReasonCode.MALFORMED, "time")]


@pytest.mark.parametrize(("mutations", "field"), KEYLESS_ENVELOPE_CASES)
def test_envelope_without_valid_id_and_source_is_keyed_by_body_digest(
    mutations: tuple[Mutation, ...], field: str
) -> None:
    event = mutated(CONTRACT, *mutations)
    parsed = parse(event)

    assert found(parsed) == [(ReasonCode.MALFORMED, field)]
    assert parsed.payload is None
    assert parsed.input_key == digest_key(encode(event))


def test_every_bad_envelope_attribute_is_reported() -> None:
    parsed = parse_contract(
        setting("specversion", "2.0"), setting("time", "2025-01-15"), removing("subject"), removing("data")
    )

    assert found(parsed) == [
        (ReasonCode.MALFORMED, "specversion"),
        (ReasonCode.MALFORMED, "time"),
        (ReasonCode.MALFORMED, "subject"),
    ]
    assert parsed.input_key == CONTRACT_KEY


def test_envelope_problem_on_a_cancellation_keeps_its_key() -> None:
    parsed = parse_cancellation(setting("specversion", "1"))

    assert found(parsed) == [(ReasonCode.MALFORMED, "specversion")]
    assert parsed.input_key == "urn:dealer:D10442\nD10442-000952"


# --- UNKNOWN_TYPE -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "hub"),
    [
        pytest.param(mutated(CONTRACT, setting("type", "fni.contract.submitted.v2")), "contracts", id="v2"),
        pytest.param(mutated(CONTRACT, setting("type", "fni.claim.filed.v1")), "contracts", id="unknown"),
        pytest.param(mutated(CONTRACT, setting("type", "FNI.CONTRACT.SUBMITTED.V1")), "contracts", id="case"),
        pytest.param(CONTRACT, "cancellations", id="contract-on-cancellations-hub"),
        pytest.param(CANCELLATION, "contracts", id="cancellation-on-contracts-hub"),
        pytest.param(CONTRACT, "dealer-feedback", id="contract-on-feedback-hub"),
    ],
)
def test_unknown_type_or_wrong_hub(event: Event, hub: str) -> None:
    parsed = parse(event, hub)

    assert found(parsed) == [(ReasonCode.UNKNOWN_TYPE, "type")]
    assert parsed.payload is None
    assert parsed.input_key == f"{event['source']}\n{event['id']}"


# --- SCHEMA_INVALID: one case per field rule --------------------------------------------------------------

SCHEMA_CASES = [
    case("contract_number-lowercase", "contract_number", numbered("vsc2501150001")),
    case("contract_number-5-chars", "contract_number", numbered("VSC25")),
    case("contract_number-21-chars", "contract_number", numbered("V" * 21)),
    case("contract_number-underscore", "contract_number", numbered("VSC_2501150001")),
    case("contract_number-space", "contract_number", numbered("VSC 2501150001")),
    case("contract_number-number", "contract_number", setting("data.contract_number", 2501150001)),
    case("contract_number-missing", "contract_number", removing("data.contract_number")),
    case("subject-not-contract_number", "subject", setting("subject", "VSC2501150002")),
    case("revision-0", "revision", setting("data.revision", 0)),
    case("revision-negative", "revision", setting("data.revision", -1)),
    case("revision-string", "revision", setting("data.revision", "1")),
    case("revision-bool", "revision", setting("data.revision", True)),
    case("revision-float", "revision", setting("data.revision", 1.0)),
    case("dealer_code-lowercase", "dealer_code", setting("data.dealer_code", "d10442")),
    case("dealer_code-2-chars", "dealer_code", setting("data.dealer_code", "D1")),
    case("dealer_code-11-chars", "dealer_code", setting("data.dealer_code", "D1044200000")),
    case("dealer_code-dash", "dealer_code", setting("data.dealer_code", "D-10442")),
    case("dealer_code-missing", "dealer_code", removing("data.dealer_code")),
    case("product.code-missing", "product.code", removing("data.product.code")),
    case("product.type-unknown", "product.type", setting("data.product.type", "BOAT")),
    case("product.type-lowercase", "product.type", setting("data.product.type", "vsc")),
    case("term_months-0", "term_months", setting("data.term_months", 0)),
    case("term_months-145", "term_months", setting("data.term_months", 145)),
    case("term_months-string", "term_months", setting("data.term_months", "60")),
    case("term_miles-0", "term_miles", setting("data.term_miles", 0)),
    case("term_miles-string", "term_miles", setting("data.term_miles", "60000")),
    case("sale_date-slashes", "sale_date", setting("data.sale_date", "2025/01/15")),
    case("sale_date-number", "sale_date", setting("data.sale_date", 20250115)),
    case("sale_date-datetime", "sale_date", setting("data.sale_date", "2025-01-15T00:00:00Z")),
    case("sale_date-impossible", "sale_date", setting("data.sale_date", "2025-02-30")),
    case("sale_date-missing", "sale_date", removing("data.sale_date")),
    case("effective_date-slashes", "effective_date", setting("data.effective_date", "01/15/2025")),
    case("vin-number", "vehicle.vin", setting("data.vehicle.vin", 41123456)),
    case("year-1980", "vehicle.year", setting("data.vehicle.year", 1980)),
    case("year-sale-year-plus-3", "vehicle.year", setting("data.vehicle.year", 2028)),
    case("year-string", "vehicle.year", setting("data.vehicle.year", "2016")),
    case("make-empty", "vehicle.make", setting("data.vehicle.make", "")),
    case("make-blank", "vehicle.make", setting("data.vehicle.make", "   ")),
    case("make-41-chars", "vehicle.make", setting("data.vehicle.make", "M" * 41)),
    case("model-empty", "vehicle.model", setting("data.vehicle.model", "")),
    case("model-41-chars", "vehicle.model", setting("data.vehicle.model", "C" * 41)),
    case("odometer-negative", "vehicle.odometer", setting("data.vehicle.odometer", -1)),
    case("odometer-1000000", "vehicle.odometer", setting("data.vehicle.odometer", 1_000_000)),
    case("odometer-fraction", "vehicle.odometer", setting("data.vehicle.odometer", 12.5)),
    case("odometer-string", "vehicle.odometer", setting("data.vehicle.odometer", "12000")),
    case("condition-unknown", "vehicle.condition", setting("data.vehicle.condition", "DAMAGED")),
    case("condition-lowercase", "vehicle.condition", setting("data.vehicle.condition", "used")),
    case("first_name-empty", "customer.first_name", setting("data.customer.first_name", "")),
    case("first_name-51-chars", "customer.first_name", setting("data.customer.first_name", "F" * 51)),
    case("last_name-empty", "customer.last_name", setting("data.customer.last_name", "")),
    case("last_name-51-chars", "customer.last_name", setting("data.customer.last_name", "王" * 51)),
    case("state-XX", "customer.state", setting("data.customer.state", "XX")),
    case("state-lowercase", "customer.state", setting("data.customer.state", "tx")),
    case("state-name", "customer.state", setting("data.customer.state", "Texas")),
    case("postal_code-4-digits", "customer.postal_code", setting("data.customer.postal_code", "7520")),
    case("postal_code-bad-plus-4", "customer.postal_code", setting("data.customer.postal_code", "75201-12")),
    case("postal_code-number", "customer.postal_code", setting("data.customer.postal_code", 75201)),
    case("lienholder-without-code", "lienholder.code", removing("data.lienholder.code")),
    case("retail-no-decimals", "pricing.retail_price", setting("data.pricing.retail_price", "2495")),
    case("retail-one-decimal", "pricing.retail_price", setting("data.pricing.retail_price", "2495.0")),
    case("retail-three-decimals", "pricing.retail_price", setting("data.pricing.retail_price", "2495.000")),
    case("retail-json-number", "pricing.retail_price", setting("data.pricing.retail_price", 2495.00)),
    case("retail-thousands-comma", "pricing.retail_price", setting("data.pricing.retail_price", "2,495.00")),
    case("retail-dollar-sign", "pricing.retail_price", setting("data.pricing.retail_price", "$2495.00")),
    case(
        "retail-zero",
        "pricing.retail_price",
        setting("data.pricing.retail_price", "0.00"),
        setting("data.pricing.dealer_cost", "0.00"),
    ),
    case("retail-100000.01", "pricing.retail_price", setting("data.pricing.retail_price", "100000.01")),
    case("dealer_cost-negative", "pricing.dealer_cost", setting("data.pricing.dealer_cost", "-1.00")),
    case("dealer_cost-missing", "pricing.dealer_cost", removing("data.pricing.dealer_cost")),
    case("currency-EUR", "pricing.currency", setting("data.pricing.currency", "EUR")),
    case("currency-missing", "pricing.currency", removing("data.pricing.currency")),
    case("administrator-missing", "administrator", removing("data.administrator")),
    case("administrator-empty", "administrator", setting("data.administrator", "")),
    case("oem-lowercase", "oem", setting("data.oem", "toyota")),
    case("data-missing", "data", removing("data")),
    case("data-array", "data", setting("data", [CONTRACT["data"]])),
    case("data-string", "data", setting("data", json.dumps(CONTRACT["data"]))),
    case("data-null", "data", setting("data", None)),
]


@pytest.mark.parametrize(("mutations", "field"), SCHEMA_CASES)
def test_field_rule_violation_is_schema_invalid(mutations: tuple[Mutation, ...], field: str) -> None:
    parsed = parse_contract(*mutations)

    assert found(parsed) == [(ReasonCode.SCHEMA_INVALID, field)]
    assert parsed.reasons[0].message
    assert parsed.payload is None
    assert parsed.input_key == CONTRACT_KEY


def test_schema_problems_in_several_fields_are_all_reported() -> None:
    parsed = parse_contract(
        setting("data.term_months", 0),
        setting("data.vehicle.odometer", -1),
        setting("data.customer.postal_code", "7520"),
        setting("data.pricing.currency", "EUR"),
    )

    assert sorted(field or "" for _, field in found(parsed)) == [
        "customer.postal_code",
        "pricing.currency",
        "term_months",
        "vehicle.odometer",
    ]
    assert {code for code, _ in found(parsed)} == {ReasonCode.SCHEMA_INVALID}


# --- VIN_INVALID, DATE_INCONSISTENT, PRICE_INCONSISTENT ---------------------------------------------------

SEMANTIC_CASES = [
    case("vin-wrong-check-digit", "vehicle.vin", setting("data.vehicle.vin", vin_with(9, "4"))),
    case("vin-contains-I", "vehicle.vin", setting("data.vehicle.vin", vin_with(12, "I"))),
    case("vin-contains-O", "vehicle.vin", setting("data.vehicle.vin", vin_with(12, "O"))),
    case("vin-contains-Q", "vehicle.vin", setting("data.vehicle.vin", vin_with(17, "Q"))),
    case("vin-16-chars", "vehicle.vin", setting("data.vehicle.vin", CONTRACT["data"]["vehicle"]["vin"][:16])),
    case("vin-18-chars", "vehicle.vin", setting("data.vehicle.vin", CONTRACT["data"]["vehicle"]["vin"] + "7")),
    case("vin-lowercase", "vehicle.vin", setting("data.vehicle.vin", CONTRACT["data"]["vehicle"]["vin"].lower())),
    case("effective-31-days-after", "effective_date", setting("data.effective_date", "2025-02-15")),
    case("effective-before-sale", "effective_date", setting("data.effective_date", "2025-01-14")),
    case("cost-above-retail", "pricing.dealer_cost", setting("data.pricing.dealer_cost", "2495.01")),
]
SEMANTIC_CODES = {
    "vehicle.vin": ReasonCode.VIN_INVALID,
    "effective_date": ReasonCode.DATE_INCONSISTENT,
    "pricing.dealer_cost": ReasonCode.PRICE_INCONSISTENT,
}


@pytest.mark.parametrize(("mutations", "field"), SEMANTIC_CASES)
def test_consistency_rule_violation_has_its_own_code(mutations: tuple[Mutation, ...], field: str) -> None:
    parsed = parse_contract(*mutations)

    assert found(parsed) == [(SEMANTIC_CODES[field], field)]
    assert parsed.reasons[0].message
    assert parsed.payload is None
    assert parsed.input_key == CONTRACT_KEY


def test_wrong_vin_check_digit_message_names_the_expected_digit() -> None:
    parsed = parse_contract(setting("data.vehicle.vin", vin_with(9, "4")))

    assert "should be 3" in parsed.reasons[0].message


def test_bad_vin_and_cost_above_retail_are_both_reported() -> None:
    parsed = parse_contract(
        setting("data.vehicle.vin", vin_with(9, "4")), setting("data.pricing.dealer_cost", "3000.00")
    )

    assert found(parsed) == [
        (ReasonCode.VIN_INVALID, "vehicle.vin"),
        (ReasonCode.PRICE_INCONSISTENT, "pricing.dealer_cost"),
    ]
    assert parsed.payload is None


def test_every_consistency_problem_is_reported() -> None:
    parsed = parse_contract(
        setting("subject", "VSC2501150002"),
        setting("data.vehicle.vin", vin_with(12, "Q")),
        setting("data.vehicle.year", 2028),
        setting("data.customer.state", "XX"),
        setting("data.effective_date", "2025-03-01"),
        setting("data.pricing.retail_price", "100000.01"),
        setting("data.pricing.dealer_cost", "100000.02"),
    )

    assert sorted(found(parsed)) == sorted(
        [
            (ReasonCode.SCHEMA_INVALID, "subject"),
            (ReasonCode.VIN_INVALID, "vehicle.vin"),
            (ReasonCode.SCHEMA_INVALID, "vehicle.year"),
            (ReasonCode.SCHEMA_INVALID, "customer.state"),
            (ReasonCode.DATE_INCONSISTENT, "effective_date"),
            (ReasonCode.SCHEMA_INVALID, "pricing.retail_price"),
            (ReasonCode.PRICE_INCONSISTENT, "pricing.dealer_cost"),
        ]
    )


def test_schema_and_consistency_problems_are_reported_together() -> None:
    parsed = parse_contract(
        setting("data.customer.postal_code", "7520"),
        setting("data.vehicle.vin", vin_with(9, "4")),
        setting("data.pricing.dealer_cost", "3000.00"),
    )

    assert sorted(found(parsed)) == sorted(
        [
            (ReasonCode.SCHEMA_INVALID, "customer.postal_code"),
            (ReasonCode.VIN_INVALID, "vehicle.vin"),
            (ReasonCode.PRICE_INCONSISTENT, "pricing.dealer_cost"),
        ]
    )


# --- text is accepted verbatim ----------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["first_name", "last_name"])
@pytest.mark.parametrize(
    "name",
    [
        '=HYPERLINK("http://x","y")',
        "+SUM(A1)",
        "@cmd",
        "-2+3",
        "王小明",
        "Zoë",
        "Ngozi",
        "José Ñúñez",
        "Ελένη",
        "O'Neil",
        "Zoe\u0308",  # decomposed diaeresis: kept as sent, not normalised
        " Padded ",
    ],
)
def test_names_are_accepted_verbatim(field: str, name: str) -> None:
    parsed = parse_contract(setting(f"data.customer.{field}", name))

    assert found(parsed) == []
    assert isinstance(parsed.payload, ContractSubmission)
    assert getattr(parsed.payload.customer, field) == name
    assert parsed.payload.model_dump(mode="json")["customer"][field] == name


def test_vehicle_text_is_accepted_verbatim() -> None:
    parsed = parse_contract(setting("data.vehicle.make", "=1+1"), setting("data.vehicle.model", "Mégane E-Tech"))

    assert isinstance(parsed.payload, ContractSubmission)
    assert (parsed.payload.vehicle.make, parsed.payload.vehicle.model) == ("=1+1", "Mégane E-Tech")


# --- cancellation requests --------------------------------------------------------------------------------

CANCELLATION_CASES = [
    case("reason-unknown", "reason", setting("data.reason", "FRAUD")),
    case("reason-lowercase", "reason", setting("data.reason", "customer_request")),
    case("reason-missing", "reason", removing("data.reason")),
    case("cancel_date-slashes", "cancel_date", setting("data.cancel_date", "2026/03/02")),
    case("cancel_date-unpadded", "cancel_date", setting("data.cancel_date", "2026-3-2")),
    case("cancel_date-number", "cancel_date", setting("data.cancel_date", 20260302)),
    case("cancel_date-impossible", "cancel_date", setting("data.cancel_date", "2026-02-29")),
    case("cancel_date-missing", "cancel_date", removing("data.cancel_date")),
    case("odometer-negative", "odometer", setting("data.odometer", -1)),
    case("odometer-string", "odometer", setting("data.odometer", "30500")),
    case("odometer-fraction", "odometer", setting("data.odometer", 30500.5)),
    case("odometer-missing", "odometer", removing("data.odometer")),
    case("dealer_code-lowercase", "dealer_code", setting("data.dealer_code", "d10442")),
    case("dealer_code-2-chars", "dealer_code", setting("data.dealer_code", "D1")),
    case("dealer_code-11-chars", "dealer_code", setting("data.dealer_code", "D1044200000")),
    case("contract_number-pattern", "contract_number", numbered("vsc2501150001")),
    case("subject-mismatch", "subject", setting("subject", "VSC2501150002")),
    case("data-not-an-object", "data", setting("data", "VSC2501150001")),
]


@pytest.mark.parametrize(("mutations", "field"), CANCELLATION_CASES)
def test_cancellation_field_rule_violation_is_schema_invalid(mutations: tuple[Mutation, ...], field: str) -> None:
    parsed = parse_cancellation(*mutations)

    assert found(parsed) == [(ReasonCode.SCHEMA_INVALID, field)]
    assert parsed.payload is None
    assert parsed.input_key == "urn:dealer:D10442\nD10442-000952"


@pytest.mark.parametrize("reason", ["CUSTOMER_REQUEST", "LOAN_PAYOFF", "TOTAL_LOSS", "REPOSSESSION", "TRADE_IN"])
def test_every_listed_cancel_reason_is_accepted(reason: str) -> None:
    parsed = parse_cancellation(setting("data.reason", reason))

    assert found(parsed) == []
    assert isinstance(parsed.payload, CancellationRequest)
    assert parsed.payload.reason == reason


# --- content_hash -----------------------------------------------------------------------------------------


def _reordered(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _reordered(value[key]) for key in reversed(list(value))}
    return value


def content_hash(event: Event, hub: str = "contracts") -> str:
    parsed = parse(event, hub)
    assert parsed.reasons == ()
    return parsed.content_hash


@pytest.mark.parametrize(("event", "hub"), [(CONTRACT, "contracts"), (CANCELLATION, "cancellations")])
def test_content_hash_ignores_key_order_and_envelope_identity(event: Event, hub: str) -> None:
    reordered = _reordered(event)
    assert list(reordered) != list(event)
    assert list(reordered["data"]) != list(event["data"])
    resent = mutated(event, setting("id", "another-id"), setting("time", "2026-12-31T23:59:59+00:00"))

    assert content_hash(reordered, hub) == content_hash(event, hub)
    assert content_hash(resent, hub) == content_hash(event, hub)
    assert content_hash(mutated(event, setting("data.extension_field", 1)), hub) == content_hash(event, hub)


@pytest.mark.parametrize(
    ("event", "hub", "mutation"),
    [
        (CONTRACT, "contracts", setting("data.revision", 2)),
        (CONTRACT, "contracts", setting("data.vehicle.model", "Corolla")),
        (CONTRACT, "contracts", setting("data.vehicle.odometer", 12001)),
        (CONTRACT, "contracts", setting("data.customer.first_name", "Maria")),
        (CONTRACT, "contracts", setting("data.pricing.retail_price", "2495.01")),
        (CONTRACT, "contracts", removing("data.lienholder")),
        (CANCELLATION, "cancellations", setting("data.odometer", 30501)),
        (CANCELLATION, "cancellations", setting("data.reason", "TRADE_IN")),
        (CANCELLATION, "cancellations", setting("data.cancel_date", "2026-03-03")),
    ],
)
def test_content_hash_changes_with_any_value(event: Event, hub: str, mutation: Mutation) -> None:
    assert content_hash(mutated(event, mutation), hub) != content_hash(event, hub)


def test_content_hash_treats_an_omitted_revision_as_revision_1() -> None:
    assert content_hash(mutated(CONTRACT, removing("data.revision"))) == content_hash(CONTRACT)


def test_content_hash_treats_an_omitted_effective_date_as_the_sale_date() -> None:
    assert content_hash(mutated(CONTRACT, removing("data.effective_date"))) == content_hash(CONTRACT)
