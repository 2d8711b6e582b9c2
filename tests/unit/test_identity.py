"""EVENTS.md: the idempotency key is `source` + `id` across all contracts; a reused id gets the first answer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from function_app.adapters.kernel.memory import MemoryContractStore
from function_app.adapters.memory_storage import memory_storage
from function_app.bootstrap import Exchange, bootstrap
from function_app.config import load_settings
from function_app.domain.kernel.feedback import Feedback
from function_app.service_layer.kernel.ports import ConcurrencyConflict, IdentityClaim
from tests.events import T0, contract, messages


@pytest.fixture
def exchange() -> Exchange:
    return bootstrap(
        load_settings({}), storage=memory_storage())


def recorded(exchange: Exchange, number: str) -> bool:
    return number in exchange.contracts.load([number], {}).contracts


def subjects(feedback: list[Feedback]) -> list[str | None]:
    return [fb.subject for fb in feedback]


def test_an_id_reused_for_another_contract_gets_the_first_answer(exchange: Exchange) -> None:
    first = exchange.realtime.process(messages("contracts", [contract("VSC0000001", event_id="x1")]))
    again = exchange.realtime.process(messages("contracts", [contract("VSC0000002", event_id="x1")], start=5))
    assert again.feedback == first.feedback
    assert not recorded(exchange, "VSC0000002")
    assert again.facts == first.facts == 1  # the first fact written again, idempotently; nothing new


@pytest.mark.parametrize("numbers", [("VSC0000001", "VSC0000002"), ("VSC0000001", "VSC0000001")])
def test_an_id_reused_within_one_batch_is_answered_once_and_never_raises(
    exchange: Exchange, numbers: tuple[str, str]
) -> None:
    batch = messages("contracts", [contract(numbers[0], event_id="x1"),
                                   contract(numbers[1], event_id="x1", revision=2)])
    report = exchange.realtime.process(batch)
    assert len(report.feedback) == 2
    assert report.feedback[0] == report.feedback[1]
    assert subjects(report.feedback) == [numbers[0], numbers[0]]
    assert report.facts == 1
    if numbers[1] != numbers[0]:
        assert not recorded(exchange, numbers[1])


def test_the_same_id_from_another_source_is_another_event(exchange: Exchange) -> None:
    batch = messages("contracts", [contract("VSC0000001", event_id="x1"),
                                   contract("VSC0000002", dealer="D20117", event_id="x1")])
    report = exchange.realtime.process(batch)
    assert subjects(report.feedback) == ["VSC0000001", "VSC0000002"]
    assert [fb.decision.status for fb in report.feedback] == ["ACCEPTED", "ACCEPTED"]
    assert report.feedback[0].id != report.feedback[1].id


def test_feedback_ids_are_unique_per_answer(exchange: Exchange) -> None:
    events = [contract(f"VSC00000{i:02d}", event_id=f"e{i}") for i in range(30)]
    report = exchange.realtime.process(messages("contracts", [*events, events[3]]))
    ids = [fb.id for fb in report.feedback]
    assert len(set(ids)) == 30 and ids[-1] == ids[3]


def test_a_claim_whose_contract_was_never_written_holds_back_another_contract() -> None:
    """A claimant that may still be writing: the other contract's message waits (the platform retries)."""
    store = MemoryContractStore()
    exchange = bootstrap(load_settings({}), storage=memory_storage(), contracts=store,
                         clock=lambda: T0 + timedelta(minutes=14))
    store.claim([IdentityClaim("urn:dealer:D10442\nx1", "VSC0000009", T0)])
    with pytest.raises(ConcurrencyConflict):
        exchange.realtime.process(messages("contracts", [contract("VSC0000001", event_id="x1")]))
    assert not recorded(exchange, "VSC0000001")


def test_a_claim_older_than_any_invocation_is_taken_over(exchange: Exchange) -> None:
    store = exchange.contracts
    store.claim([IdentityClaim("urn:dealer:D10442\nx1", "VSC0000009", T0 - timedelta(hours=1))])
    report = exchange.realtime.process(messages("contracts", [contract("VSC0000001", event_id="x1")]))
    assert [fb.decision.status for fb in report.feedback] == ["ACCEPTED"]
    assert recorded(exchange, "VSC0000001")
    # the first claimant, redelivered at last, gets the answer that stands
    late = exchange.realtime.process(messages("contracts", [contract("VSC0000009", event_id="x1")], start=9))
    assert late.feedback == report.feedback
    assert not recorded(exchange, "VSC0000009")
