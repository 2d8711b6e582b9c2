"""The DeliveryStateStore contract: every adapter of the port passes the same tests."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from function_app.adapters.delivery.memory import MemoryDeliveryStates
from function_app.domain.delivery.statuses import FileStatus
from function_app.service_layer.delivery.ports import DeliveredFile, DeliveryStateStore, FeedState, FileClaim
from tests.contracts import on_azurite

DAY = date(2026, 3, 2)
AT = datetime(2026, 3, 3, tzinfo=UTC)


def delivered(sequence: int, feed: str = "nightly", partner: str = "adm-01") -> DeliveredFile:
    return DeliveredFile(partner, feed, DAY, sequence, f"f{sequence}", 3, 10, "ab", {"retail_price": "1.00"}, AT,
                         ranges={"2026-03-02": ("", f"x{sequence}")})


def claim(sequence: int) -> FileClaim:
    return FileClaim(DAY, sequence, f"f{sequence}", {"2026-03-02": ("", "x~")}, AT)


class DeliveryStateStoreContract(ABC):
    @abstractmethod
    def make(self, request: pytest.FixtureRequest) -> DeliveryStateStore: ...

    @pytest.fixture
    def states(self, request: pytest.FixtureRequest) -> DeliveryStateStore:
        return self.make(request)

    def test_a_feed_never_written_reads_empty_without_a_token(self, states: DeliveryStateStore) -> None:
        assert states.read("adm-01", "nightly") == (FeedState(), None)
        assert states.files("adm-01") == []

    def test_feed_state_is_written_only_under_the_token_it_was_read_with(self, states: DeliveryStateStore) -> None:
        first = states.write("adm-01", "nightly", FeedState(pending=claim(1)), None)
        assert first is not None
        assert states.read("adm-01", "nightly") == (FeedState(pending=claim(1)), first)
        assert states.write("adm-01", "nightly", FeedState(), None) is None, "create when it exists"
        done = FeedState(watermarks={"2026-03-02": "x~"}, sequences={"2026-03-02": 1}, last_cut_at=AT)
        second = states.write("adm-01", "nightly", done, first, delivered(1))
        assert second is not None and second != first
        assert states.write("adm-01", "nightly", FeedState(), first) is None, "stale token"
        assert states.read("adm-01", "nightly") == (done, second)
        assert states.files("adm-01") == [delivered(1)]

    def test_a_lost_race_writes_neither_state_nor_file_record(self, states: DeliveryStateStore) -> None:
        stale = states.write("adm-01", "nightly", FeedState(), None)
        token = states.write("adm-01", "nightly", FeedState(pending=claim(1)), stale)
        assert states.write("adm-01", "nightly", FeedState(), stale, delivered(1)) is None
        assert states.read("adm-01", "nightly") == (FeedState(pending=claim(1)), token)
        assert states.files("adm-01") == []

    def test_a_file_recorded_twice_is_a_conflict_that_writes_nothing(self, states: DeliveryStateStore) -> None:
        token = states.write("adm-01", "nightly", FeedState(), None, delivered(1))
        assert token is not None
        assert states.write("adm-01", "nightly", FeedState(pending=claim(2)), token, delivered(1)) is None
        assert states.read("adm-01", "nightly") == (FeedState(), token)
        assert states.files("adm-01") == [delivered(1)]

    def test_the_state_read_is_a_copy_not_the_stored_one(self, states: DeliveryStateStore) -> None:
        states.write("adm-01", "nightly", FeedState(watermarks={"2026-03-02": "a"}), None)
        state, _ = states.read("adm-01", "nightly")
        state.watermarks["2026-03-02"] = "z"
        assert states.read("adm-01", "nightly")[0].watermarks == {"2026-03-02": "a"}

    def test_files_are_listed_per_partner_and_feed_oldest_first(self, states: DeliveryStateStore) -> None:
        token = states.write("adm-01", "nightly", FeedState(), None, delivered(2))
        states.write("adm-01", "nightly", FeedState(), token, delivered(1))
        states.write("adm-01", "micro", FeedState(), None, delivered(1, "micro"))
        states.write("adm-0", "nightly", FeedState(), None, delivered(7, partner="adm-0"))
        assert states.files("adm-01") == [delivered(1, "micro"), delivered(1), delivered(2)]
        assert states.files("adm-01", "nightly") == [delivered(1), delivered(2)]
        assert states.files("adm-0") == [delivered(7, partner="adm-0")], "a partner id that prefixes another"
        assert states.files("adm-01", "weekly") == []

    def test_a_files_status_is_recorded_and_nothing_else_changes(self, states: DeliveryStateStore) -> None:
        token = states.write("adm-01", "nightly", FeedState(), None, delivered(1))
        latest = states.write("adm-01", "nightly", FeedState(), token, delivered(2))
        states.set_status(delivered(2), FileStatus.ACKNOWLEDGED)
        assert states.files("adm-01") == [delivered(1), replace(delivered(2), status=FileStatus.ACKNOWLEDGED)]
        assert states.read("adm-01", "nightly") == (FeedState(), latest), "the feed state is not touched"


class TestDeliveryStatesInMemory(DeliveryStateStoreContract):
    def make(self, request: pytest.FixtureRequest) -> DeliveryStateStore:
        return MemoryDeliveryStates()


class TestDeliveryStatesOnAzurite(DeliveryStateStoreContract):
    def make(self, request: pytest.FixtureRequest) -> DeliveryStateStore:
        return on_azurite.delivery_states(on_azurite.namespace(request))
