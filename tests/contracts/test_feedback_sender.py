"""The FeedbackSender contract: in memory and on azure-eventhub (to an AMQP stand-in), the same answers arrive,
each under its key, each key's in the order given."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from function_app.adapters.realtime.feedback_hub import EventHubFeedback
from function_app.adapters.realtime.memory import SentFeedback
from function_app.domain.kernel.feedback import Decision, Feedback
from function_app.service_layer.realtime.ports import FeedbackSender
from tests.eventhub_standin import EventHubStandIn

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
Arrived = Callable[[], list[tuple[str | None, str]]]  # (partition key, feedback id) as the reader sees them


def answer(n: int, key: str | None) -> Feedback:
    return Feedback.answering(f"k{n}", in_reply_to=f"e{n}", subject="VSC1", decision=Decision.accepted(), time=T0,
                              partition_key=key)


def per_key(arrived: list[tuple[str | None, str]]) -> dict[str | None, list[str]]:
    grouped: dict[str | None, list[str]] = {}
    for key, fid in arrived:
        grouped.setdefault(key, []).append(fid)
    return grouped


class FeedbackSenderContract(ABC):
    @abstractmethod
    def make(self) -> Iterator[tuple[FeedbackSender, Arrived]]: ...

    @pytest.fixture
    def sender(self) -> Iterator[tuple[FeedbackSender, Arrived]]:
        yield from self.make()

    def test_every_answer_arrives_under_its_key_in_order(self, sender: tuple[FeedbackSender, Arrived]) -> None:
        out, arrived = sender
        sent = [answer(n, key) for n, key in enumerate(["D1", "FPCU", None, "D1", "FPCU", "D1"])]
        out.send(sent)
        out.send([answer(9, "D1")])
        expected = per_key([(fb.partition_key, fb.id) for fb in [*sent, answer(9, "D1")]])
        assert per_key(arrived()) == expected

    def test_nothing_sent_is_nothing_arrived(self, sender: tuple[FeedbackSender, Arrived]) -> None:
        out, arrived = sender
        out.send([])
        assert arrived() == []


class TestFeedbackInMemory(FeedbackSenderContract):
    def make(self) -> Iterator[tuple[FeedbackSender, Arrived]]:
        memory = SentFeedback()
        yield memory, lambda: [(fb.partition_key, fb.id) for fb in memory.sent]


class TestFeedbackOnEventHubs(FeedbackSenderContract):
    def make(self) -> Iterator[tuple[FeedbackSender, Arrived]]:
        import json

        with EventHubStandIn.running() as hub:
            out = EventHubFeedback.from_connection(hub.connection_string, None)
            try:
                yield out, lambda: [(e.partition_key, json.loads(e.body)["id"]) for e in hub.received(timeout=0)]
            finally:
                out.close()
