"""The real-time functions called with batches decoded by azure.functions' own converter: their answers reach a
hub (an AMQP peer on a loopback port, tests/eventhub_standin.py) under each input's partition key."""

from __future__ import annotations

import json

import pytest
from azure.functions.timer import TimerRequest

from function_app.config import Settings
from tests.eventhub_standin import EventHubStandIn, ReceivedEvent
from tests.events import body, cancellation, contract, eventhub_batch, lender_cancellation
from tests.functions.registry import registered

NUMBER = "VSC2501150001"  # financed by FPCU


def answered(events: list[ReceivedEvent]) -> list[tuple[str | None, str | None, str]]:
    return [(e.partition_key, json.loads(e.body)["data"]["in_reply_to"], json.loads(e.body)["data"]["status"])
            for e in events]


def key_of(raw: bytes) -> str | None:
    """As senders key them: the dealer code, a lender's lienholder code; a body that is not JSON: none."""
    try:
        data = json.loads(raw)["data"]
    except ValueError:
        return None
    return str(data.get("dealer_code") or data.get("lienholder_code"))


def test_dealers_and_lenders_are_answered_under_their_own_keys(feedback_hub: EventHubStandIn,
                                                              on_azurite: Settings) -> None:
    registered("contract_submissions")(events=eventhub_batch(
        [body(contract(NUMBER, event_id="c-1")), body(contract("VSC2501150002", dealer="D20881", event_id="c-2")),
         b"{ not json"], partition_key=key_of))
    registered("cancellation_requests")(events=eventhub_batch(
        [body(lender_cancellation(NUMBER, event_id="fpcu-1"))], first_sequence=200, partition_key=key_of))

    assert answered(feedback_hub.received(4)) == [
        ("D10442", "c-1", "ACCEPTED"), ("D20881", "c-2", "ACCEPTED"), (None, None, "REJECTED"),
        ("FPCU", "fpcu-1", "ACCEPTED")]


def test_the_timer_answers_an_expired_request_under_the_key_it_came_with(feedback_hub: EventHubStandIn,
                                                                         on_azurite: Settings) -> None:
    registered("cancellation_requests")(events=eventhub_batch(
        [body(cancellation("VSC2501150077", dealer="D20881", event_id="x-1"))], partition_key=key_of))
    assert feedback_hub.received(timeout=0.2) == []  # held: nothing to answer yet
    registered("expire_held_cancellations")(timer=TimerRequest())  # the request is months older than 72 hours
    assert answered(feedback_hub.received(1)) == [("D20881", "x-1", "REJECTED")]


def test_a_hub_that_refuses_fails_the_invocation_and_the_redelivery_sends_the_same_answer(
    feedback_hub: EventHubStandIn, on_azurite: Settings,
) -> None:
    batch = [body(contract(NUMBER, event_id="c-1"))]
    feedback_hub.refuse("amqp:unauthorized-access")
    with pytest.raises(Exception, match="refused by the test"):
        registered("contract_submissions")(events=eventhub_batch(batch, partition_key=key_of))
    feedback_hub.refuse(None)
    registered("contract_submissions")(events=eventhub_batch(batch, partition_key=key_of))  # the trigger's retry
    registered("contract_submissions")(events=eventhub_batch(batch, partition_key=key_of))  # and once more
    retried, again = feedback_hub.received(2)
    assert answered([retried]) == [("D10442", "c-1", "ACCEPTED")]
    assert again.body == retried.body  # decided once (before the refused send), answered alike every time
