"""The real-time service on each set of adapters: the defects found by trying inputs as an attacker would, which
depend on how the storage ports behave (partitions, transactions, property sizes, blob names)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import UTC, datetime, timedelta

import pytest

from function_app.adapters.kernel.memory import MemoryContractStore, MemoryDeadLetters, MemoryJournal
from function_app.adapters.memory_storage import memory_storage
from function_app.bootstrap import Exchange, bootstrap
from function_app.config import load_settings
from function_app.service_layer.kernel.ports import ContractStore, DeadLetterStore, Journal
from tests import events
from tests.contracts import on_azurite
from tests.events import messages

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
Stores = tuple[ContractStore, Journal, DeadLetterStore]


class RealtimeStorageContract(ABC):
    @abstractmethod
    def make(self, request: pytest.FixtureRequest) -> Stores: ...

    @pytest.fixture
    def service(self, request: pytest.FixtureRequest) -> Exchange:
        contracts, journal, letters = self.make(request)
        return bootstrap(load_settings({}), storage=memory_storage(), contracts=contracts, journal=journal,
                         dead_letters=letters)

    def test_an_id_reused_for_a_contract_in_another_partition_gets_the_first_answer(self, service: Exchange) -> None:
        """VSC7000001, -02 and -04 share a partition of four; -03 and -05 are in others."""
        first = service.realtime.process(messages("contracts", [events.contract("VSC7000001", event_id="x1")]))
        elsewhere = service.realtime.process(messages("contracts", [events.contract("VSC7000003", event_id="x1")],
                                                      start=3))
        beside = service.realtime.process(messages("contracts", [events.contract("VSC7000002", event_id="x1")],
                                                   start=4))
        same_batch = service.realtime.process(messages("contracts", [
            events.contract("VSC7000004", event_id="x2"), events.contract("VSC7000005", event_id="x2"),
            events.contract("VSC7000002", event_id="x2")], start=5))
        assert elsewhere.feedback == beside.feedback == first.feedback
        assert [fb.subject for fb in same_batch.feedback] == ["VSC7000004"] * 3
        assert len({fb.id for fb in same_batch.feedback}) == 1
        assert set(service.contracts.load([f"VSC700000{i}" for i in range(1, 6)], {}).contracts) == {
            "VSC7000001", "VSC7000004"}

    def test_fifty_requests_for_a_contract_not_yet_there_then_the_contract(self, service: Exchange) -> None:
        """About 50 held requests made the contract's arrival exceed one transaction, then one property."""
        requests = [events.cancellation("VSC7000010", event_id=f"c{i}", odometer=20_000 + i) for i in range(50)]
        waiting = service.realtime.process(messages("cancellations", requests))
        assert waiting.held == 10 and len(waiting.feedback) == 40
        arrival = service.realtime.process(messages("contracts", [events.contract("VSC7000010")], start=60))
        assert [fb.decision.status for fb in arrival.feedback][:1] == ["ACCEPTED"]
        assert len(arrival.feedback) == 11
        assert service.contracts.held_before(T0 + timedelta(days=30)) == []

    def test_every_rejected_input_keeps_its_own_dead_letter(self, service: Exchange) -> None:
        """`bad#1` and `bad_1` read alike once made safe for a blob name: their letters used to collapse."""
        rejected = [events.contract("BAD", event_id=event_id) for event_id in ("bad#1", "bad_1", "bad/1", "bäd_1")]
        other_sender = events.contract("BAD", event_id="bad#1", dealer="D20117")
        report = service.realtime.process(messages("contracts", [*rejected, other_sender, b"{", b"{ "]))
        assert len(set(report.dead_letters)) == 7
        stored = list(service.dead_letters.names("contracts/"))
        assert sorted(stored) == sorted(report.dead_letters)
        assert {service.dead_letters.get(name).event_id for name in stored} == {
            "bad#1", "bad_1", "bad/1", "bäd_1", None}


class TestRealtimeInMemory(RealtimeStorageContract):
    def make(self, request: pytest.FixtureRequest) -> Stores:
        return MemoryContractStore(), MemoryJournal(), MemoryDeadLetters()


class TestRealtimeOnAzurite(RealtimeStorageContract):
    def make(self, request: pytest.FixtureRequest) -> Stores:
        settings = on_azurite.namespace(request)
        return on_azurite.contract_store(settings), on_azurite.journal(settings), on_azurite.dead_letters(settings)
