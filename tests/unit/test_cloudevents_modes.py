"""CloudEvents in both AMQP content modes, sent with the CloudEvents SDK as a dealer would (spec/EVENTS.md, Envelope).

A binary-mode event is its structured twin to the exchange: same key, same reasons, same feedback; a redelivery
across modes is the same event. What the SDK writes is in tests/peers/cloudevents_sender.py.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from function_app.adapters.memory_storage import memory_storage
from function_app.bootstrap import Exchange, bootstrap
from function_app.config import load_settings
from function_app.domain.kernel.feedback import Feedback, ReasonCode
from function_app.domain.kernel.messages import MAX_BODY_BYTES
from function_app.domain.realtime.cloudevents import EVENT_HUBS_MAX_BODY_BYTES, is_json_media_type, read_event
from function_app.domain.realtime.parsing import ParsedEvent, parse_message
from function_app.domain.realtime.payloads import CancellationRequest, ContractSubmission
from tests.events import Event, cancellation, contract
from tests.peers.cloudevents_sender import SentMessage, binary, received, sdk_event, structured

Send = Callable[[Event], SentMessage]


def exchange() -> Exchange:
    return bootstrap(
        load_settings({}), storage=memory_storage())


def data_bytes(event: Event) -> bytes:
    return json.dumps(event["data"], ensure_ascii=False).encode("utf-8")


def as_structured(event: Event) -> SentMessage:
    return structured(sdk_event(event))


def as_binary(event: Event) -> SentMessage:
    return binary(sdk_event(event))


def as_binary_colon(event: Event) -> SentMessage:
    return binary(sdk_event(event), separator=":")


def as_binary_without_content_type(event: Event) -> SentMessage:
    """A sender whose data is already JSON bytes, through a transport that does not pass `content-type` on."""
    return binary(sdk_event(event, data_as_bytes=data_bytes(event)), content_type=False)


def as_data_base64(event: Event) -> SentMessage:
    """The SDK writes bytes data as `data_base64` in structured mode."""
    return structured(sdk_event(event, data_as_bytes=data_bytes(event)))


def as_host_strings(event: Event) -> SentMessage:
    """Every property value a string, `time` in its canonical form: what the lead's host harness passes."""
    sent = binary(sdk_event(event))
    properties: dict[str, object] = {k: str(v) for k, v in sent.properties.items()}
    properties["cloudEvents_time"] = event["time"]
    return SentMessage(sent.body, properties)


def as_bytes_values(event: Event) -> SentMessage:
    """Attribute values handed over as UTF-8 bytes (an AMQP client that keeps binary values)."""
    sent = binary(sdk_event(event))
    return SentMessage(sent.body, {k: v.encode() if isinstance(v, str) else v for k, v in sent.properties.items()})


SENDERS = [
    pytest.param(as_binary, id="binary"),
    pytest.param(as_binary_colon, id="binary-colon"),
    pytest.param(as_binary_without_content_type, id="binary-no-content-type"),
    pytest.param(as_data_base64, id="structured-data_base64"),
    pytest.param(as_host_strings, id="binary-host-strings"),
    pytest.param(as_bytes_values, id="binary-bytes-values"),
]


def parse(sent: SentMessage, hub: str = "contracts") -> ParsedEvent:
    return parse_message(sent.inbound(hub))


def identity(parsed: ParsedEvent) -> tuple[object, ...]:
    return (parsed.input_key, parsed.event_id, parsed.source, parsed.event_type, parsed.subject, parsed.routing_key,
            parsed.reasons, parsed.payload)


def found(parsed: ParsedEvent) -> list[tuple[ReasonCode, str | None]]:
    return [(reason.code, reason.field) for reason in parsed.reasons]


# A day's inputs, good and bad, each on its hub: every one must get the same answer in every mode.
def day() -> list[tuple[str, Event]]:
    return [
        ("contracts", contract("VSC0000001")),
        ("contracts", contract("GAP0000002", product__type="GAP", term_miles=None)),
        ("contracts", contract("VSC0000003", vehicle__vin="4T1BF1FK3GU12345X")),
        ("contracts", contract("VSC0000004", pricing__dealer_cost="9999.00")),
        ("contracts", {**contract("VSC0000005"), "subject": "VSC0000050"}),
        ("contracts", {**contract("VSC0000006"), "datacontenttype": "application/json; charset=utf-8"}),
        ("contracts", {**contract("VSC0000007"), "type": "fni.contract.submitted.v2"}),
        ("contracts", contract("VSC0000001", event_id="D10442-VSC0000001-again")),
        ("contracts", contract("VSC0000001", revision=2, event_id="D10442-VSC0000001-r2")),
        ("cancellations", cancellation("VSC0000001")),
        ("cancellations", cancellation("VSC0000099")),
        ("cancellations", cancellation("GAP0000002", dealer="D99999")),
    ]


def run(send: Send) -> list[Feedback]:
    ex = exchange()
    feedback: list[Feedback] = []
    for sequence, (hub, event) in enumerate(day()):
        report = ex.realtime.process([send(event).inbound(hub, sequence)])
        feedback.extend(report.feedback)
    return feedback


# --- twins ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("send", SENDERS)
@pytest.mark.parametrize(("hub", "event"), [pytest.param(h, e, id=e["id"]) for h, e in day()])
def test_every_mode_parses_to_its_structured_twin(send: Send, hub: str, event: Event) -> None:
    assert identity(parse(send(event), hub)) == identity(parse(as_structured(event), hub))


@pytest.mark.parametrize("send", SENDERS)
def test_a_day_in_any_mode_gets_the_feedback_of_the_structured_day(send: Send) -> None:
    structured_day = run(as_structured)

    assert run(send) == structured_day
    statuses = [fb.decision.status for fb in structured_day]
    assert {"ACCEPTED", "REJECTED", "DUPLICATE"} <= set(statuses)


@pytest.mark.parametrize(
    ("first", "again"),
    [
        pytest.param(as_structured, as_binary, id="structured-then-binary"),
        pytest.param(as_binary, as_structured, id="binary-then-structured"),
        pytest.param(as_binary, as_binary_colon, id="underscore-then-colon"),
        pytest.param(as_structured, as_data_base64, id="data-then-data_base64"),
    ],
)
def test_redelivery_across_modes_is_the_same_event(first: Send, again: Send) -> None:
    ex = exchange()
    event = contract("VSC0000001")
    answer = ex.realtime.process([first(event).inbound("contracts", 1)])
    journal = dict(ex.journal.facts)  # type: ignore[attr-defined]

    redelivered = ex.realtime.process([again(event).inbound("contracts", 7)])

    assert redelivered.feedback == answer.feedback
    assert answer.feedback[0].decision.status == "ACCEPTED"
    assert redelivered.redelivered == 1
    assert ex.journal.facts == journal  # type: ignore[attr-defined]


def test_the_sdk_reads_back_what_the_sender_helper_wrote() -> None:
    event = contract("VSC0000001")
    for sent in (as_structured(event), as_binary(event), as_binary_colon(event)):
        back = received(sent)
        assert back.get_id() == event["id"]
        assert back.get_data() == event["data"]
        assert back.get_time() == datetime.fromisoformat(event["time"])


# --- what the binding allows ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON;CHARSET=UTF-8", "text/json",
     "application/vnd.fni.contract+json; charset=utf-8", 'application/json; charset="UTF-8"'],
)
def test_json_media_types_with_parameters_are_accepted_in_binary_mode(content_type: str) -> None:
    sent = as_binary(contract("VSC0000001"))
    parsed = parse(SentMessage(sent.body, {**sent.properties, "content-type": content_type}))

    assert parsed.reasons == ()
    assert isinstance(parsed.payload, ContractSubmission)


@pytest.mark.parametrize(
    "content_type",
    ["application/xml", "text/plain", "application/octet-stream", "application/json; charset=iso-8859-1",
     "application/json-patch", "json"],
)
def test_a_non_json_media_type_is_malformed_and_answered_with_the_id(content_type: str) -> None:
    event = contract("VSC0000001")
    sent = as_binary(event)
    binary_parsed = parse(SentMessage(sent.body, {**sent.properties, "content-type": content_type}))
    structured_parsed = parse(as_structured({**event, "datacontenttype": content_type}))

    for parsed in (binary_parsed, structured_parsed):
        assert found(parsed) == [(ReasonCode.MALFORMED, "datacontenttype")]
        assert "JSON media type" in parsed.reasons[0].message
        assert parsed.event_id == event["id"]
        assert parsed.input_key == f"{event['source']}\n{event['id']}"
    assert binary_parsed.reasons == structured_parsed.reasons


def test_datacontenttype_may_come_as_an_attribute_property() -> None:
    sent = binary(sdk_event(contract("VSC0000001")), content_type=False)
    good = parse(SentMessage(sent.body, {**sent.properties, "cloudEvents_datacontenttype": "text/json"}))
    bad = parse(SentMessage(sent.body, {**sent.properties, "cloudEvents_datacontenttype": "text/csv"}))

    assert good.reasons == ()
    assert found(bad) == [(ReasonCode.MALFORMED, "datacontenttype")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("application/json", True), ("text/json", True), ("application/cloudevents+json", True),
        ("application/problem+json ; charset = utf-8", True), ("application/json;charset=utf8", True),
        ("text/plain", False), ("text/x+json", False), ("application/+json", False), ("application/json;", False),
        ("application/json; charset=utf-16", False), ("", False), (None, False), (b"application/json", False),
    ],
)
def test_json_media_type(value: object, expected: bool) -> None:
    assert is_json_media_type(value) is expected


def test_time_as_an_amqp_timestamp_is_read_as_that_instant() -> None:
    sent = as_binary(contract("VSC0000001"))
    assert sent.properties["cloudEvents_time"] == 1736980925000  # what the SDK writes: ms since the epoch

    attributes = read_event(sent.body, sent.properties, MAX_BODY_BYTES).attributes
    assert datetime.fromisoformat(attributes["time"]) == datetime(2025, 1, 15, 22, 42, 5, tzinfo=UTC)


def test_time_as_an_aware_datetime_is_read() -> None:
    sent = as_binary(contract("VSC0000001"))
    moment = datetime(2025, 1, 15, 22, 42, 5, tzinfo=UTC)
    parsed = parse(SentMessage(sent.body, {**sent.properties, "cloudEvents_time": moment}))

    assert parsed.reasons == ()


def test_an_attribute_given_twice_with_two_values_is_malformed() -> None:
    sent = as_binary(contract("VSC0000001"))
    parsed = parse(SentMessage(sent.body, {**sent.properties, "cloudEvents:subject": "VSC9999999"}))

    assert (ReasonCode.MALFORMED, "subject") in found(parsed)
    assert parsed.payload is None
    assert parsed.event_id == "D10442-VSC0000001-r1"


def test_the_same_attribute_under_both_separators_with_one_value_is_fine() -> None:
    sent = as_binary(contract("VSC0000001"))
    parsed = parse(SentMessage(sent.body, {**sent.properties, "cloudEvents:id": sent.properties["cloudEvents_id"]}))

    assert parsed.reasons == ()


def test_structured_mode_that_repeats_its_attributes_as_properties_is_read_from_the_body() -> None:
    """Structured mode MAY carry the binary-mode properties too; without `content-type` the body still tells."""
    event = contract("VSC0000001")
    properties = {k: v for k, v in as_binary(event).properties.items() if k != "content-type"}
    body = as_structured(event).body

    parsed = parse(SentMessage(body, properties))
    assert read_event(body, properties, MAX_BODY_BYTES).mode == "structured"
    assert identity(parsed) == identity(parse(as_structured(event)))


def test_content_type_cloudevents_means_structured_whatever_the_properties() -> None:
    event = contract("VSC0000001")
    sent = as_structured(event)
    properties = {**sent.properties, "cloudEvents_id": "something-else"}

    assert parse(SentMessage(sent.body, properties)).event_id == event["id"]


def test_properties_that_are_not_cloudevents_attributes_leave_structured_mode_alone() -> None:
    sent = as_structured(contract("VSC0000001"))
    parsed = parse(SentMessage(sent.body, {"Diagnostic-Id": "00-abc-def-01", "cloudEvents_": "x"}))

    assert parsed.reasons == ()


def test_a_cancellation_in_binary_mode() -> None:
    parsed = parse(as_binary(cancellation("VSC0000001")), "cancellations")

    assert parsed.reasons == ()
    assert isinstance(parsed.payload, CancellationRequest)
    assert parsed.input_key == "urn:dealer:D10442\nD10442-VSC0000001-cancel"


# --- rejected, yet named --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"<contract number='VSC0000001'/>", id="xml"),
        pytest.param(b"\xff\xfe{}", id="not-utf8"),
        pytest.param(b"{", id="truncated"),
    ],
)
def test_binary_mode_body_that_is_not_json_is_answered_with_the_id_from_properties(body: bytes) -> None:
    event = contract("VSC0000001")
    sent = SentMessage(body, as_binary(event).properties)

    parsed = parse(sent)
    assert found(parsed) == [(ReasonCode.MALFORMED, "data")]
    assert parsed.input_key == f"{event['source']}\n{event['id']}"

    report = exchange().realtime.process([sent.inbound("contracts")])
    assert report.feedback[0].in_reply_to == event["id"]
    assert report.feedback[0].decision.status == "REJECTED"
    assert report.feedback[0].subject == event["subject"]


@pytest.mark.parametrize("body", [b"not json", b"[]", b"{" + b" " * EVENT_HUBS_MAX_BODY_BYTES + b"}"])
def test_structured_mode_with_an_unreadable_body_is_named_by_the_attributes_it_repeats_as_properties(
    body: bytes,
) -> None:
    event = contract("VSC0000001")
    properties = {**as_binary(event).properties, "content-type": "application/cloudevents+json; charset=utf-8"}

    parsed = parse(SentMessage(body, properties))
    assert found(parsed) == [(ReasonCode.MALFORMED, None)]
    assert parsed.payload is None
    assert parsed.event_id == event["id"]
    assert parsed.input_key == f"{event['source']}\n{event['id']}"


def test_binary_mode_without_data_gets_the_answer_of_a_structured_event_without_data() -> None:
    event = contract("VSC0000001")
    empty = SentMessage(b"", as_binary(event).properties)
    without = {k: v for k, v in event.items() if k != "data"}

    assert found(parse(empty)) == [(ReasonCode.SCHEMA_INVALID, "data")]
    assert identity(parse(empty)) == identity(parse(SentMessage(json.dumps(without).encode(), {})))


@pytest.mark.parametrize("send", [pytest.param(as_structured, id="structured"), pytest.param(as_binary, id="binary")])
@pytest.mark.parametrize("size", [MAX_BODY_BYTES + 1, EVENT_HUBS_MAX_BODY_BYTES])
def test_oversized_but_readable_body_is_answered_with_its_id(send: Send, size: int) -> None:
    event = contract("VSC0000001")
    sent = send(event)
    body = sent.body[:-1] + b" " * (size - len(sent.body)) + sent.body[-1:]

    report = exchange().realtime.process([SentMessage(body, sent.properties).inbound("contracts")])
    answer = report.feedback[0]
    assert answer.in_reply_to == event["id"]
    assert answer.decision.status == "REJECTED"
    assert [(r.code, r.field) for r in answer.decision.reasons] == [("MALFORMED", None)]
    assert f"{size} bytes" in answer.decision.reasons[0].message
    assert report.feedback[0].subject == "VSC0000001"


def test_body_over_1MiB_is_not_read_but_binary_mode_still_names_the_event() -> None:
    event = contract("VSC0000001")
    too_big = b"{" + b" " * EVENT_HUBS_MAX_BODY_BYTES + b"}"
    binary_parsed = parse(SentMessage(too_big, as_binary(event).properties))
    structured_parsed = parse(SentMessage(too_big, {}))

    assert found(binary_parsed) == found(structured_parsed) == [(ReasonCode.MALFORMED, None)]
    assert binary_parsed.event_id == event["id"]
    assert structured_parsed.event_id is None


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        pytest.param(lambda e: e.update(data_base64="!!not base64!!"), "data_base64", id="not-base64"),
        pytest.param(lambda e: e.update(data_base64=base64.b64encode(b"<xml/>").decode()), "data", id="not-json"),
        pytest.param(lambda e: e.update(data_base64=base64.b64encode(b"\xff{}").decode()), "data", id="not-utf8"),
        pytest.param(lambda e: e.update(data_base64=12), "data_base64", id="not-text"),
        pytest.param(lambda e: e.update(data_base64=base64.b64encode(b"{}").decode(), data={}), "data_base64",
                     id="data-and-data_base64"),
    ],
)
def test_unreadable_data_base64_is_malformed_and_keeps_the_id(mutate: Callable[[Event], None], field: str) -> None:
    event = {k: v for k, v in contract("VSC0000001").items() if k != "data"}
    mutate(event)

    parsed = parse(SentMessage(json.dumps(event).encode(), {}))
    assert found(parsed) == [(ReasonCode.MALFORMED, field)]
    assert parsed.input_key == f"{event['source']}\n{event['id']}"


def test_data_base64_of_data_that_is_not_an_object_is_the_same_as_such_data() -> None:
    event = contract("VSC0000001")
    inline = parse(SentMessage(json.dumps({**event, "data": [1]}).encode(), {}))
    encoded = {k: v for k, v in event.items() if k != "data"} | {"data_base64": base64.b64encode(b"[1]").decode()}

    assert found(inline) == [(ReasonCode.SCHEMA_INVALID, "data")]
    assert identity(parse(SentMessage(json.dumps(encoded).encode(), {}))) == identity(inline)


def test_property_names_are_read_in_any_case_and_data_is_never_a_property() -> None:
    event = contract("VSC0000001")
    sent = as_binary(event)
    properties = {k.replace("cloudEvents_", "CloudEvents_"): v for k, v in sent.properties.items()}
    properties |= {"cloudEvents_data": "{}", "cloudEvents_data_base64": "e30="}

    parsed = parse(SentMessage(sent.body, properties))
    assert identity(parsed) == identity(parse(as_structured(event)))


ATTRIBUTE_NAMES = st.sampled_from(["specversion", "id", "source", "type", "time", "subject", "datacontenttype"])
PROPERTY_NAMES = st.one_of(
    st.builds(lambda prefix, name: prefix + name, st.sampled_from(["cloudEvents_", "cloudEvents:", "CLOUDEVENTS_"]),
              ATTRIBUTE_NAMES),
    st.sampled_from(["content-type", "Content-Type", "cloudEvents_", "x-opt-whatever"]),
    st.text(max_size=20),
)
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**80), max_value=2**80), st.floats(), st.text(max_size=40),
    st.binary(max_size=40), st.datetimes(), st.lists(st.integers(), max_size=3),
    st.sampled_from(["1.0", "fni.contract.submitted.v1", "application/json", "urn:dealer:D10442", "VSC0000001"]),
)


@settings(max_examples=300, deadline=None)
@given(properties=st.dictionaries(PROPERTY_NAMES, VALUES, max_size=9),
       body=st.one_of(st.binary(max_size=200), st.just(data_bytes(contract("VSC0000001")))))
def test_any_properties_and_body_get_an_answer_never_an_exception(properties: dict[str, object], body: bytes) -> None:
    parsed = parse(SentMessage(body, properties))

    assert (parsed.payload is None) != (parsed.reasons == ())
    assert parsed.input_key


@settings(max_examples=150, deadline=None)
@given(
    event_id=st.text(min_size=1, max_size=140),
    subject=st.text(min_size=1, max_size=70),
    time=st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
    send=st.sampled_from([as_binary, as_binary_colon, as_host_strings, as_data_base64]),
)
def test_any_attributes_the_sdk_sends_get_the_structured_twins_answer(
    event_id: str, subject: str, time: datetime, send: Send
) -> None:
    event = {**contract("VSC0000001"), "id": event_id, "subject": subject, "time": time.isoformat()}

    assert identity(parse(send(event))) == identity(parse(as_structured(event)))
