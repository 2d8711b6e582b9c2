"""EVENTS.md "Bounds that hold for every event": each field of the payloads, and the limits the bounds protect."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fnix.commands import event_time

from function_app.adapters.memory_storage import memory_storage
from function_app.bootstrap import Exchange, bootstrap
from function_app.config import load_settings
from function_app.domain.delivery.fields import FIELDS
from function_app.domain.kernel import bounds
from function_app.domain.kernel.feedback import ReasonCode
from function_app.domain.kernel.messages import InboundMessage
from function_app.domain.realtime.parsing import ParsedEvent, parse_message
from tests.events import T0, body, cancellation, contract, messages
from tests.unit.test_event_contract import CANCELLATION, CONTRACT, ENQUEUED

CHICAGO = load_settings({}).zone


def ascii_body(event: dict[str, Any]) -> bytes:
    """JSON as a sender may write it: escapes (`\\ud800` too) instead of the characters."""
    return json.dumps(event).encode("ascii")


def parsed(event: dict[str, Any], hub: str = "contracts", at: datetime = ENQUEUED) -> ParsedEvent:
    return parse_message(InboundMessage(hub, ascii_body(event), "0", 1, at), CHICAGO)


def with_data(base: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    event = copy.deepcopy(base)
    *parents, leaf = path.split(".")
    node = event["data"]
    for part in parents:
        node = node[part]
    node[leaf] = value
    return event


def codes(event: ParsedEvent) -> set[tuple[ReasonCode, str | None]]:
    return {(r.code, r.field) for r in event.reasons}


def leaves(node: object, path: str = "") -> Iterator[tuple[str, object]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, f"{path}.{key}" if path else key)
    else:
        yield path, node


# --- integers ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("revision", 2**31),  # passed before: the journal's Int32 property then failed the batch
        ("revision", 10_000),
        ("term_miles", 10_000_000),  # passed before: then overflowed the fixed-width `term_miles` (7)
        ("term_miles", 1_000_000),
        ("term_months", 145),
        ("vehicle.odometer", 1_000_000),
        ("vehicle.year", 10_000),
    ],
)
def test_integers_out_of_range_are_schema_invalid(path: str, value: int) -> None:
    assert (ReasonCode.SCHEMA_INVALID, path) in codes(parsed(with_data(CONTRACT, path, value)))


@pytest.mark.parametrize(
    ("path", "value"), [("revision", 9999), ("term_miles", 999_999), ("vehicle.odometer", 999_999)]
)
def test_integers_at_the_top_of_their_range_are_accepted(path: str, value: int) -> None:
    assert parsed(with_data(CONTRACT, path, value)).reasons == ()


def test_cancellation_odometer_stays_within_six_digits() -> None:
    event = with_data(CANCELLATION, "odometer", 1_000_000)
    assert (ReasonCode.SCHEMA_INVALID, "odometer") in codes(parsed(event, "cancellations"))
    assert parsed(with_data(CANCELLATION, "odometer", 999_999), "cancellations").reasons == ()


def test_every_integer_field_refuses_a_value_beyond_int32() -> None:
    """A later integer field that forgets its bound fails here."""
    for path, value in leaves(CONTRACT["data"]):
        if isinstance(value, int) and not isinstance(value, bool):
            assert (ReasonCode.SCHEMA_INVALID, path) in codes(parsed(with_data(CONTRACT, path, 2**31))), path


# --- text -------------------------------------------------------------------------------------------------------

HOSTILE_CHARACTERS = ["\n", "\r", "\t", "\x00", "\x1e", "\x85", "\u2028", "\u2029", "\ud800"]
TEXT_FIELDS = ["vehicle.make", "vehicle.model", "customer.first_name", "customer.last_name", "lienholder.name"]


@pytest.mark.parametrize("char", HOSTILE_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("path", TEXT_FIELDS)
def test_line_breaks_and_control_characters_in_text_are_schema_invalid(path: str, char: str) -> None:
    event = with_data(CONTRACT, path, f"Nú{char}ñez")
    assert (ReasonCode.SCHEMA_INVALID, path) in codes(parsed(event))


def test_every_text_field_refuses_a_line_break() -> None:
    """A later text field that forgets the bound fails here (codes refuse it by their pattern)."""
    for path, value in leaves(CONTRACT["data"]):
        if isinstance(value, str):
            assert any(field == path for _, field in codes(parsed(with_data(CONTRACT, path, value + "\n")))), path


@pytest.mark.parametrize("name", ["Mehrdād\u200cpour", "Ólafsdóttir", "李", "O'Neil-Smith", "Đặng"])
def test_letters_of_any_script_and_joiners_are_accepted(name: str) -> None:
    assert parsed(with_data(CONTRACT, "customer.last_name", name)).reasons == ()


@pytest.mark.parametrize("attribute", ["id", "source", "subject"])
def test_envelope_text_with_a_line_break_is_refused(attribute: str) -> None:
    event = copy.deepcopy(CONTRACT)
    event[attribute] = event[attribute] + "\u2028"
    assert parsed(event).reasons


def test_an_id_that_is_not_unicode_is_answered_by_the_body_digest() -> None:
    raw = body(CONTRACT).replace(b'"D10442-000187"', b'"D10442-\\ud800"')
    event = parse_message(InboundMessage("contracts", raw, "0", 1, ENQUEUED), CHICAGO)
    assert event.event_id is None and event.payload is None
    assert event.input_key.startswith("body:")
    assert ReasonCode.MALFORMED in {r.code for r in event.reasons}


# --- dates ------------------------------------------------------------------------------------------------------

# 2026-03-02 03:00 UTC is still 2026-03-01 in Chicago: the latest date is 2026-03-02, not 2026-03-03
LATE_EVENING = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def dated(sale: str) -> dict[str, Any]:
    event = with_data(CONTRACT, "sale_date", sale)
    event["data"]["effective_date"] = sale
    event["data"]["vehicle"]["year"] = 2016
    return event


def test_a_sale_in_year_9999_is_date_inconsistent() -> None:
    assert (ReasonCode.DATE_INCONSISTENT, "sale_date") in codes(parsed(dated("9999-10-01")))


def test_dates_may_reach_the_enqueued_business_day_plus_one() -> None:
    assert parsed(dated("2026-03-02"), at=LATE_EVENING).reasons == ()
    assert (ReasonCode.DATE_INCONSISTENT, "sale_date") in codes(parsed(dated("2026-03-03"), at=LATE_EVENING))


def test_effective_date_follows_the_sale_by_at_most_30_days() -> None:
    event = dated("2026-03-01")
    event["data"]["effective_date"] = "2026-03-31"
    assert parsed(event, at=LATE_EVENING).reasons == ()
    event["data"]["effective_date"] = "2026-04-01"
    assert (ReasonCode.DATE_INCONSISTENT, "effective_date") in codes(parsed(event, at=LATE_EVENING))


def test_a_cancellation_dated_after_tomorrow_is_date_inconsistent() -> None:
    event = with_data(CANCELLATION, "cancel_date", "9999-10-01")
    assert (ReasonCode.DATE_INCONSISTENT, "cancel_date") in codes(parsed(event, "cancellations"))


def test_the_latest_date_never_overflows() -> None:
    assert bounds.latest_date(datetime.max.date()) == datetime.max.date()


# --- the limits the bounds protect ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "bound"),
    [
        ("revision", bounds.REVISION), ("term_months", bounds.TERM_MONTHS), ("term_miles", bounds.TERM_MILES),
        ("sale_odometer", bounds.SALE_ODOMETER), ("cancel_odometer", bounds.CANCEL_ODOMETER),
        ("vehicle_year", bounds.VEHICLE_YEAR), ("vehicle_make", bounds.VEHICLE_TEXT),
        ("vehicle_model", bounds.VEHICLE_TEXT), ("customer_first_name", bounds.CUSTOMER_NAME),
        ("customer_last_name", bounds.CUSTOMER_NAME), ("lienholder_name", bounds.LIENHOLDER_NAME),
        ("product_code", None), ("lienholder_code", None), ("oem", None), ("administrator", None),
        ("cancelled_by_code", None),  # a dealer's code or a lender's lienholder code
    ],
)
def test_bounds_fit_the_partner_files_fixed_widths(column: str, bound: object) -> None:
    width = FIELDS[column].width
    if isinstance(bound, bounds.IntegerBound):
        assert bound.fixed_width == width and len(str(bound.high)) <= width
    elif isinstance(bound, bounds.TextBound):
        assert bound.fixed_width == width and bound.max_length <= width
    else:
        assert width >= bounds.CODE_LENGTH


def test_one_contracts_write_fits_one_transaction() -> None:
    assert bounds.writes_per_contract() <= bounds.TABLE_TRANSACTION_ENTITIES


# --- held cancellations -----------------------------------------------------------------------------------------


@pytest.fixture
def exchange() -> Exchange:
    return bootstrap(
        load_settings({}), storage=memory_storage())


def many_cancellations(number: str, count: int) -> list[dict[str, Any]]:
    return [cancellation(number, event_id=f"cx-{i}", odometer=30_000 + i) for i in range(count)]


def test_at_most_ten_requests_wait_for_one_contract(exchange: Exchange) -> None:
    report = exchange.realtime.process(messages("cancellations", many_cancellations("VSC0000001", 50)))
    assert report.held == bounds.MAX_HELD_PER_CONTRACT
    refused = [fb.decision for fb in report.feedback]
    assert len(refused) == 40
    assert {r.reasons[0].code for r in refused} == {"CONTRACT_NOT_FOUND"}
    arrival = exchange.realtime.process(messages("contracts", [contract("VSC0000001")], start=100))
    assert len(arrival.feedback) == 1 + bounds.MAX_HELD_PER_CONTRACT


# --- the replay path --------------------------------------------------------------------------------------------

STARTED = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "time",
    ["0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-12:00", "2999-01-01T00:00:00Z"],
)
def test_replay_takes_no_impossible_enqueued_time_from_the_event(time: str) -> None:
    event = copy.deepcopy(CONTRACT)
    event["time"] = time
    assert event_time(body(event), STARTED) == STARTED


def test_replay_keeps_a_plausible_event_time() -> None:
    assert event_time(body(CONTRACT), STARTED) == datetime(2025, 1, 15, 22, 42, 5, tzinfo=UTC)


def test_replay_answers_a_body_nested_100000_deep_as_the_trigger_does(exchange: Exchange) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    message = InboundMessage("contracts", deep, "replay", 1, event_time(deep, T0))
    report = exchange.realtime.process([message])
    assert [fb.decision.reasons[0].code for fb in report.feedback] == ["MALFORMED"]


def test_bounds_are_documented_with_what_they_protect() -> None:
    named = [b for b in vars(bounds).values() if isinstance(b, bounds.IntegerBound | bounds.TextBound)]
    assert named and all(b.protects for b in named)
    assert json.dumps(sorted(bounds.REFUSED_CATEGORIES)) == '["Cc", "Cs", "Zl", "Zp"]'
