"""A lender's cancellation through the real-time service over in-memory storage: its answer, its dead letter, its
journal fact, and the same event made by the CloudEvents SDK in either content mode."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest

from function_app.adapters.memory_storage import memory_storage
from function_app.bootstrap import Exchange, bootstrap
from function_app.config import load_settings
from function_app.domain.kernel.feedback import encode_feedback
from function_app.domain.kernel.journal import FactKind
from function_app.domain.kernel.messages import InboundMessage
from tests.events import T0, contract, lender_cancellation, messages
from tests.peers.cloudevents_sender import binary, sdk_event, structured

NUMBER = "VSC2501150001"  # financed by FPCU, like the spec's example


@pytest.fixture
def exchange() -> Exchange:
    return bootstrap(load_settings({}), storage=memory_storage())


def keyed(batch: list[InboundMessage], key: str = "FPCU") -> list[InboundMessage]:
    """As a lender sends them: partition key = its lienholder code (REFUNDS.md)."""
    return [replace(message, partition_key=key) for message in batch]


def test_the_lender_s_repossession_is_answered_to_the_lender_with_its_refund(exchange: Exchange) -> None:
    exchange.realtime.process(messages("contracts", [contract(NUMBER)]))
    event = lender_cancellation(NUMBER)
    batch = keyed(messages("cancellations", [event], start=1, at=T0 + timedelta(hours=1)))

    report = exchange.realtime.process(batch)

    (answer,) = report.feedback
    sent = answer.to_json()
    assert (sent["subject"], sent["data"]["in_reply_to"], sent["data"]["status"]) == (NUMBER, event["id"], "ACCEPTED")
    assert sent["data"]["refund"]["payee"] == "LIENHOLDER"
    assert sent["data"]["refund"]["customer_refund"] == "1675.71"
    assert "dealer_code" not in json.dumps(sent)  # nothing in the answer speaks of a dealer
    facts = [f for f in exchange.journal.read(date(2026, 3, 2)) if f.kind is FactKind.CONTRACT_CANCELLED]
    assert [(f.source, f.event_id, f.data["cancellation"].get("lienholder_code")) for f in facts] == [
        ("urn:lender:FPCU", event["id"], "FPCU")]
    again = exchange.realtime.process(batch)
    assert [encode_feedback(f) for f in again.feedback] == [encode_feedback(answer)] and again.redelivered == 1


def test_a_lender_request_from_another_source_is_dead_lettered_not_authorized(exchange: Exchange) -> None:
    exchange.realtime.process(messages("contracts", [contract(NUMBER)]))
    event = lender_cancellation(NUMBER)
    event["source"] = "urn:lender:PSAF"

    report = exchange.realtime.process(keyed(messages("cancellations", [event], start=1), "PSAF"))

    (answer,) = report.feedback
    assert answer.in_reply_to == event["id"] and answer.subject == NUMBER
    assert [(r.code, r.field) for r in answer.decision.reasons] == [("NOT_AUTHORIZED", "source")]
    (name,) = report.dead_letters
    letter = exchange.dead_letters.get(name)
    assert (letter.source, letter.event_id, letter.partition_key) == ("urn:lender:PSAF", event["id"], "PSAF")
    assert json.loads(letter.body) == event
    assert [r.status for r in exchange.contracts.every_record() if r.contract_number == NUMBER] == ["ACTIVE"]


def test_a_lender_request_held_for_its_contract_is_decided_when_the_contract_comes(exchange: Exchange) -> None:
    event = lender_cancellation(NUMBER, reason="TOTAL_LOSS")
    held = exchange.realtime.process(keyed(messages("cancellations", [event])))
    assert held.feedback == [] and held.held == 1

    arrived = exchange.realtime.process(messages("contracts", [contract(NUMBER)], at=T0 + timedelta(hours=1)))

    assert [(f.in_reply_to, f.decision.status) for f in arrived.feedback] == [
        (f"D10442-{NUMBER}-r1", "ACCEPTED"), (event["id"], "ACCEPTED")]
    assert arrived.feedback[1].to_json()["data"]["refund"]["payee"] == "LIENHOLDER"


@pytest.mark.parametrize("mode", ["structured", "binary"])
def test_a_lender_event_made_by_the_cloudevents_sdk_is_the_same_event(exchange: Exchange, mode: str) -> None:
    """The SDK's AMQP binding, as a lender's system would send it: same identity, same answer as the JSON one."""
    exchange.realtime.process(messages("contracts", [contract(NUMBER)]))
    event = lender_cancellation(NUMBER, reason="LOAN_PAYOFF")
    sent = (structured if mode == "structured" else binary)(sdk_event(event))
    message = InboundMessage("cancellations", sent.body, "1", 7, T0 + timedelta(hours=1), partition_key="FPCU",
                             properties=sent.properties)

    report = exchange.realtime.process([message])
    twin = exchange.realtime.process(keyed(messages("cancellations", [event], start=8, at=T0 + timedelta(hours=2))))

    (answer,) = report.feedback
    assert (answer.in_reply_to, answer.decision.status) == (event["id"], "ACCEPTED")
    assert answer.to_json()["data"]["refund"]["payee"] == "CUSTOMER"  # a payoff refunds the customer
    assert twin.redelivered == 1 and twin.feedback == report.feedback
