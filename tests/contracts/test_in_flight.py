"""The InFlightWriters contract: what is registered is live until released or expired, a writer registered again
replaces its entry, and the delivery bound is the oldest live stamp (or now), less the allowance. Every adapter
passes the same tests."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import UTC, datetime, timedelta

import pytest

from function_app.adapters.kernel.in_flight_memory import MemoryInFlight
from function_app.service_layer.kernel.in_flight import (
    WRITER_LIFETIME,
    InFlightWriter,
    InFlightWriters,
    delivery_bound,
    register,
)
from tests.contracts import on_azurite

NOON = datetime(2026, 3, 2, 18, tzinfo=UTC)
SKEW = timedelta(seconds=5)


def entry(name: str, lowest: datetime, lives: timedelta = WRITER_LIFETIME) -> InFlightWriter:
    return InFlightWriter(name, lowest, lowest + lives)


class InFlightContract(ABC):
    @abstractmethod
    def make(self, request: pytest.FixtureRequest) -> InFlightWriters: ...

    @pytest.fixture
    def writers(self, request: pytest.FixtureRequest) -> InFlightWriters:
        return self.make(request)

    def test_nothing_in_flight_leaves_now_less_the_allowance(self, writers: InFlightWriters) -> None:
        assert writers.live(NOON) == [] and writers.lowest(NOON) is None
        assert delivery_bound(writers, NOON, SKEW) == NOON - SKEW

    def test_the_oldest_live_writer_holds_the_bound(self, writers: InFlightWriters) -> None:
        writers.register(entry("contracts-0001-a", NOON - timedelta(seconds=3)))
        writers.register(entry("claims/adm-01#3f", NOON - timedelta(seconds=40)))  # characters a key may not hold
        assert [w.writer for w in writers.live(NOON)] == ["claims/adm-01#3f", "contracts-0001-a"]
        assert writers.live(NOON)[0] == entry("claims/adm-01#3f", NOON - timedelta(seconds=40))
        assert delivery_bound(writers, NOON, SKEW) == NOON - timedelta(seconds=45)

    def test_a_released_writer_no_longer_holds_it_and_releasing_twice_is_harmless(
            self, writers: InFlightWriters) -> None:
        writers.register(entry("a", NOON - timedelta(seconds=10)))
        writers.release("a")
        writers.release("a")
        writers.release("never-registered")
        assert writers.lowest(NOON) is None

    def test_a_crashed_writer_counts_until_its_expiry_and_not_after(self, writers: InFlightWriters) -> None:
        crashed = entry("crashed", NOON - timedelta(minutes=11))
        writers.register(crashed)
        assert writers.lowest(NOON) == crashed.lowest
        assert writers.lowest(crashed.expires_at - timedelta(microseconds=1)) == crashed.lowest
        assert writers.lowest(crashed.expires_at) is None
        assert writers.live(crashed.expires_at + timedelta(hours=1)) == []

    def test_registering_again_replaces_the_entry(self, writers: InFlightWriters) -> None:
        writers.register(entry("file", NOON - timedelta(minutes=5)))
        writers.register(entry("file", NOON - timedelta(seconds=2)))
        assert [w.lowest for w in writers.live(NOON)] == [NOON - timedelta(seconds=2)]

    def test_register_stores_now_for_the_lifetime_or_a_stored_stamp_before_it(self, writers: InFlightWriters) -> None:
        assert register(writers, "batch", lambda: NOON) == NOON
        assert writers.live(NOON) == [InFlightWriter("batch", NOON, NOON + WRITER_LIFETIME)]
        register(writers, "file", lambda: NOON, lowest=NOON - timedelta(seconds=30))
        assert writers.lowest(NOON) == NOON - timedelta(seconds=30)


class TestInFlightInMemory(InFlightContract):
    def make(self, request: pytest.FixtureRequest) -> InFlightWriters:
        return MemoryInFlight()


class TestInFlightOnAzurite(InFlightContract):
    def make(self, request: pytest.FixtureRequest) -> InFlightWriters:
        return on_azurite.in_flight(on_azurite.namespace(request))
