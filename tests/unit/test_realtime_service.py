"""The real-time service over in-memory storage: idempotency, ordering, poison events, holds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import pytest

from function_app.adapters.kernel.memory import MemoryJournal
from function_app.adapters.memory_storage import memory_storage
from function_app.bootstrap import Exchange, bootstrap
from function_app.config import load_settings
from function_app.domain.kernel.feedback import Feedback
from function_app.domain.kernel.journal import FactKind, JournalFact
from tests.events import T0, cancellation, contract, messages


@pytest.fixture
def exchange() -> Exchange:
    return bootstrap(
        load_settings({}), storage=memory_storage())


def statuses(feedback: list[Feedback]) -> list[str]:
    return [fb.decision.status for fb in feedback]


def test_every_input_gets_exactly_one_feedback_in_input_order(exchange: Exchange) -> None:
    batch = messages("contracts", [contract("VSC0000001"), b"not json", contract("VSC0000002")])
    report = exchange.realtime.process(batch)
    assert statuses(report.feedback) == ["ACCEPTED", "REJECTED", "ACCEPTED"]
    assert [fb.in_reply_to for fb in report.feedback] == ["D10442-VSC0000001-r1", None,
                                                                     "D10442-VSC0000002-r1"]


def test_redelivered_batch_gets_the_very_same_feedback_and_changes_nothing(exchange: Exchange) -> None:
    batch = messages("contracts", [contract("VSC0000001"), contract("VSC0000001", revision=2, event_id="x2"),
                                   contract("BAD", event_id="bad")])
    first = exchange.realtime.process(batch)
    journal = dict(exchange.journal.facts)  # type: ignore[attr-defined]
    again = exchange.realtime.process(batch)
    assert again.feedback == first.feedback
    assert again.redelivered == 3
    assert exchange.journal.facts == journal  # type: ignore[attr-defined]
    assert len(journal) == 2


def test_repeated_fact_under_new_id_is_duplicate(exchange: Exchange) -> None:
    exchange.realtime.process(messages("contracts", [contract("VSC0000001")]))
    report = exchange.realtime.process(messages("contracts", [contract("VSC0000001", event_id="other-id")], start=5))
    assert statuses(report.feedback) == ["DUPLICATE"]
    assert report.facts == 0


def test_poison_event_in_the_middle_does_not_stop_the_batch(exchange: Exchange) -> None:
    events = [contract(f"VSC000000{i}") for i in range(5)]
    batch = messages("contracts", [*events[:2], b"\xff\xfe garbage", *events[2:]])
    report = exchange.realtime.process(batch)
    assert statuses(report.feedback) == ["ACCEPTED"] * 2 + ["REJECTED"] + ["ACCEPTED"] * 3
    assert len(report.dead_letters) == 1
    letter = exchange.dead_letters.get(report.dead_letters[0])
    assert letter.body == b"\xff\xfe garbage"
    assert letter.reasons[0].code == "MALFORMED"


def test_cancellation_before_its_contract_is_held_then_decided_with_refund(exchange: Exchange) -> None:
    held = exchange.realtime.process(messages("cancellations", [cancellation("VSC2501150001")]))
    assert held.feedback == [] and held.held == 1
    arrived = exchange.realtime.process(messages("contracts", [contract("VSC2501150001")], at=T0 + timedelta(hours=1)))
    assert statuses(arrived.feedback) == ["ACCEPTED", "ACCEPTED"]
    refund = arrived.feedback[1].to_json()["data"]["refund"]
    assert refund["customer_refund"] == "1675.71"
    assert arrived.feedback[1].in_reply_to == "D10442-VSC2501150001-cancel"
    kinds = [f.kind for f in exchange.journal.read(date(2026, 3, 2))]
    assert kinds == [FactKind.CONTRACT_ACCEPTED, FactKind.CONTRACT_CANCELLED]


def test_redelivered_held_cancellation_after_release_gets_its_decision(exchange: Exchange) -> None:
    cancel = messages("cancellations", [cancellation("VSC2501150001")])
    exchange.realtime.process(cancel)
    released = exchange.realtime.process(messages("contracts", [contract("VSC2501150001")]))
    again = exchange.realtime.process(cancel)
    assert again.feedback == [released.feedback[1]]


def test_held_cancellation_expires_after_the_hold(exchange: Exchange) -> None:
    exchange.realtime.process(messages("cancellations", [cancellation("VSC9999999")]))
    assert exchange.holds.run(T0 + timedelta(hours=71)).feedback == []
    expired = exchange.holds.run(T0 + timedelta(hours=73))
    assert statuses(expired.feedback) == ["REJECTED"]
    assert expired.feedback[0].decision.reasons[0].code == "CONTRACT_NOT_FOUND"
    assert len(expired.dead_letters) == 1
    assert exchange.holds.run(T0 + timedelta(hours=80)).feedback == []
    late = exchange.realtime.process(messages("contracts", [contract("VSC9999999")]))
    assert statuses(late.feedback) == ["ACCEPTED"]


class FlakyJournal(MemoryJournal):
    """Fails once, after the contract records were written: the crash between two writes."""

    def __init__(self) -> None:
        super().__init__()
        self.fail = False

    def append(self, facts: Sequence[JournalFact]) -> None:
        if self.fail:
            self.fail = False
            raise ConnectionError("storage went away")
        super().append(facts)


def test_batch_failing_after_some_writes_converges_on_redelivery() -> None:
    journal = FlakyJournal()
    exchange = bootstrap(load_settings({}), storage=memory_storage(), journal=journal,
                         )
    exchange.realtime.process(messages("cancellations", [cancellation("VSC0000001")]))
    batch = messages("contracts", [contract("VSC0000001"), contract("VSC0000002")], start=10)
    journal.fail = True
    with pytest.raises(ConnectionError):
        exchange.realtime.process(batch)
    report = exchange.realtime.process(batch)
    assert statuses(report.feedback) == ["ACCEPTED", "ACCEPTED", "ACCEPTED"]
    assert len(journal.facts) == 3
    assert exchange.realtime.process(batch).feedback == report.feedback
    assert len(journal.facts) == 3


def test_dead_letter_replay_redecides_the_input(exchange: Exchange) -> None:
    exchange.realtime.process(messages("cancellations", [cancellation("VSC0000042")]))
    expired = exchange.holds.run(T0 + timedelta(hours=73))
    name = expired.dead_letters[0]
    exchange.realtime.process(messages("contracts", [contract("VSC0000042")], start=3))
    letter = exchange.dead_letters.get(name)
    from function_app.domain.kernel.messages import InboundMessage

    message = InboundMessage(letter.hub, letter.body, letter.partition, letter.sequence_number, letter.enqueued_time)
    replayed = exchange.realtime.process([message], redecide=frozenset({letter.input_key}))
    assert statuses(replayed.feedback) == ["ACCEPTED"]
    assert replayed.feedback[0].to_json()["data"]["refund"]["method"] == "PRO_RATA"


def test_many_events_for_one_contract_in_one_batch_are_decided_in_order(exchange: Exchange) -> None:
    revisions = [contract("VSC0000077", revision=r, event_id=f"rev-{r}", term_months=12 + r) for r in range(1, 101)]
    report = exchange.realtime.process(messages("contracts", revisions))
    assert statuses(report.feedback) == ["ACCEPTED"] * 100
    stored = exchange.contracts.load(["VSC0000077"], {}).contracts["VSC0000077"]
    assert stored.record.revision == 100
