"""Every answer names the partition key it goes back under: its input's (EVENTS.md "Feedback"), a lender's
lienholder code (REFUNDS.md), also when the answer comes later (a held request released or expired) or again
(a redelivery answered from the inbox entry)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from function_app.adapters.memory_storage import memory_storage
from function_app.adapters.realtime.memory import SentFeedback
from function_app.bootstrap import Exchange, bootstrap
from function_app.config import load_settings
from function_app.domain.kernel.feedback import Feedback
from function_app.domain.kernel.messages import InboundMessage
from function_app.domain.realtime.contracts import HeldRequest
from function_app.service_layer.kernel.ports import InboxEntry, InboxStatus
from tests.events import T0, cancellation, contract, lender_cancellation, messages

NUMBER = "VSC2501150001"  # financed by FPCU


@pytest.fixture
def exchange() -> Exchange:
    return bootstrap(load_settings({}), storage=memory_storage(), feedback=SentFeedback())


def keyed(batch: list[InboundMessage], *keys: str | None) -> list[InboundMessage]:
    return [replace(message, partition_key=key) for message, key in zip(batch, keys, strict=True)]


def answers(feedback: list[Feedback]) -> list[tuple[str | None, str | None, str]]:
    return [(fb.partition_key, fb.in_reply_to, fb.decision.status.value) for fb in feedback]


def test_each_answer_goes_under_the_key_its_input_came_with(exchange: Exchange) -> None:
    batch = keyed(messages("contracts", [contract(NUMBER, event_id="a"), contract("VSC2501150002", event_id="b"),
                                         b"{ not json"]), "D10442", None, "D20881")
    report = exchange.realtime.process(batch)
    assert [(fb.partition_key, fb.in_reply_to) for fb in report.feedback] == [
        ("D10442", "a"), (None, "b"), ("D20881", None)]


def test_a_lender_s_answer_goes_under_its_lienholder_code(exchange: Exchange) -> None:
    exchange.realtime.process(keyed(messages("contracts", [contract(NUMBER)]), "D10442"))
    report = exchange.realtime.process(keyed(
        messages("cancellations", [lender_cancellation(NUMBER, event_id="fpcu-1")], start=1,
                 at=T0 + timedelta(hours=1)), "FPCU"))
    assert answers(report.feedback) == [("FPCU", "fpcu-1", "ACCEPTED")]


def test_a_held_request_released_by_its_contract_is_answered_under_its_own_key_also_when_redelivered(
    exchange: Exchange,
) -> None:
    held = exchange.realtime.process(keyed(
        messages("cancellations", [lender_cancellation(NUMBER, event_id="fpcu-1")]), "FPCU"))
    assert held.feedback == [] and held.held == 1
    arrival = keyed(messages("contracts", [contract(NUMBER, event_id="c-1")], start=5,
                             at=T0 + timedelta(hours=1)), "D10442")
    first = exchange.realtime.process(arrival)
    assert answers(first.feedback) == [("D10442", "c-1", "ACCEPTED"), ("FPCU", "fpcu-1", "ACCEPTED")]
    again = exchange.realtime.process(arrival)
    assert again.redelivered == 1 and again.feedback == first.feedback


def test_a_held_request_that_expires_is_answered_under_its_own_key(exchange: Exchange) -> None:
    exchange.realtime.process(keyed(messages("cancellations", [cancellation(NUMBER, dealer="D20881",
                                                                            event_id="x-1")]), "D20881"))
    expired = exchange.holds.run(T0 + timedelta(hours=73))
    assert answers(expired.feedback) == [("D20881", "x-1", "REJECTED")]


def test_rows_stored_before_keys_were_kept_read_as_without_a_key(exchange: Exchange) -> None:
    report = exchange.realtime.process(keyed(messages("contracts", [contract(NUMBER)]), "D10442"))
    entry = InboxEntry("k", NUMBER, InboxStatus.DECIDED, tuple(report.feedback))
    stored = entry.to_json()
    assert InboxEntry.from_json(stored).feedback[0].partition_key == "D10442"
    del stored["feedback_partition_keys"]
    assert InboxEntry.from_json(stored).feedback[0].partition_key is None
    exchange.realtime.process(keyed(messages("cancellations", [cancellation("VSC2501150009")], start=1), "D10442"))
    raw = exchange.contracts.load(["VSC2501150009"], {}).contracts["VSC2501150009"].record.held[0].to_json()
    assert HeldRequest.from_json(raw).partition_key == "D10442"
    del raw["partition_key"]
    assert HeldRequest.from_json(raw).partition_key is None
