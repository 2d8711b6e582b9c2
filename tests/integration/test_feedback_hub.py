"""The feedback sender on azure-eventhub against an AMQP 1.0 peer on a loopback port (tests/eventhub_standin.py):
a batch per partition key, order kept per key, the hub's message size respected, a refusal raised."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from azure.eventhub.exceptions import EventHubError

from function_app.adapters.realtime.feedback_hub import EventHubFeedback
from function_app.domain.kernel.feedback import Decision, Feedback, Reason, ReasonCode, encode_feedback
from tests.eventhub_standin import EventHubStandIn, ReceivedEvent

T = datetime(2026, 3, 2, 15, 4, 5, tzinfo=UTC)


def answer(n: int, key: str | None, note: str = "") -> Feedback:
    decision = Decision.rejected(Reason(ReasonCode.SCHEMA_INVALID, "data", note)) if note else Decision.accepted()
    return Feedback.answering(f"input-{n}", in_reply_to=f"evt-{n}", subject="VSC2501150001", decision=decision,
                              time=T, partition_key=key)


@pytest.fixture
def hub() -> Iterator[EventHubStandIn]:
    with EventHubStandIn.running() as standin:
        yield standin


def sender(hub: EventHubStandIn) -> EventHubFeedback:
    return EventHubFeedback.from_connection(hub.connection_string, None)


def replies(events: list[ReceivedEvent]) -> list[tuple[str | None, str]]:
    return [(e.partition_key, json.loads(e.body)["data"]["in_reply_to"]) for e in events]


def test_each_key_s_feedback_goes_in_its_own_batch_in_input_order(hub: EventHubStandIn) -> None:
    keys = ["D10442", "FPCU", "D10442", None, "FPCU", "D10442"]
    feedback = [answer(n, key) for n, key in enumerate(keys)]
    out = sender(hub)
    try:
        out.send(feedback)
    finally:
        out.close()

    events = hub.received(len(keys))
    assert replies(events) == [("D10442", "evt-0"), ("D10442", "evt-2"), ("D10442", "evt-5"),
                               ("FPCU", "evt-1"), ("FPCU", "evt-4"), (None, "evt-3")]
    assert [e.body for e in events][:3] == [encode_feedback(feedback[n]).encode() for n in (0, 2, 5)]
    assert hub.transfers == 3  # one batch per key
    assert {e.transfer for e in events if e.partition_key == "FPCU"} == {2}
    assert hub.tokens[0]["name"].endswith("/dealer-feedback")  # authorised for the hub it sends to (CBS)


def test_a_key_s_feedback_larger_than_a_message_is_split_into_batches_still_in_order() -> None:
    with EventHubStandIn.running(max_message_size=4096) as hub:
        feedback = [answer(n, "D10442", note="x" * 400) for n in range(30)]
        out = sender(hub)
        try:
            out.send(feedback)
        finally:
            out.close()
        events = hub.received(30)
        assert replies(events) == [("D10442", f"evt-{n}") for n in range(30)]
        assert hub.transfers > 3  # 30 answers of ~700 bytes do not fit in one 4 KiB message


def test_the_client_is_made_once_and_kept_for_later_invocations(hub: EventHubStandIn) -> None:
    out = sender(hub)
    try:
        assert out.client is None  # nothing connects before there is something to send
        out.send([answer(1, "D10442")])
        first = out.client
        out.send([answer(2, "D10442")])
        assert out.client is first and first is not None
    finally:
        out.close()
    assert replies(hub.received(2)) == [("D10442", "evt-1"), ("D10442", "evt-2")]


def test_nothing_to_send_connects_to_nothing() -> None:
    out = EventHubFeedback.from_connection(None, None)  # no setting at all: fine until there is feedback
    out.send([])
    with pytest.raises(RuntimeError, match="EventHubConnection"):
        out.send([answer(1, "D10442")])


def test_a_hub_that_refuses_the_feedback_fails_the_send(hub: EventHubStandIn) -> None:
    hub.refuse("amqp:unauthorized-access")
    out = sender(hub)
    try:
        with pytest.raises(EventHubError, match="refused by the test"):
            out.send([answer(1, "D10442")])
    finally:
        out.close()
    assert hub.received(timeout=0.2) == []


def test_the_stand_in_answers_the_management_requests_the_sdk_makes_when_it_rebuilds_a_producer(
    hub: EventHubStandIn,
) -> None:
    from azure.eventhub import EventHubProducerClient

    client = EventHubProducerClient.from_connection_string(hub.connection_string, eventhub_name="dealer-feedback")
    try:
        assert client.get_partition_ids() == ["0", "1", "2", "3"]
    finally:
        client.close()
