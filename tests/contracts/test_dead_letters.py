"""The DeadLetterStore contract: every adapter of the port passes the same tests."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from function_app.adapters.kernel.memory import MemoryDeadLetters
from function_app.domain.kernel.feedback import Reason, ReasonCode
from function_app.service_layer.kernel.ports import DeadLetter, DeadLetterStore
from tests.contracts import on_azurite

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
LETTER = DeadLetter("contracts", date(2026, 3, 2), "x.1", "k", "x", "s", "3", 7, T0,
                    (Reason(ReasonCode.MALFORMED, None, "m"),), b"\xff not utf-8",
                    partition_key="D10442", properties={"cloudEvents_id": "x", "cloudEvents_n": 3,
                                                        "content-type": "application/json"})


class DeadLetterStoreContract(ABC):
    @abstractmethod
    def make(self, request: pytest.FixtureRequest) -> DeadLetterStore: ...

    @pytest.fixture
    def letters(self, request: pytest.FixtureRequest) -> DeadLetterStore:
        return self.make(request)

    def test_a_letter_keeps_its_body_reasons_and_transport_metadata(self, letters: DeadLetterStore) -> None:
        letters.put([LETTER, LETTER])
        assert list(letters.names("contracts/2026-03-02/")) == ["contracts/2026-03-02/x.1.json"]
        assert letters.get(LETTER.blob_name) == LETTER
        with pytest.raises(KeyError):
            letters.get("contracts/2026-03-02/nope.json")

    def test_a_replay_is_remembered_with_its_outcome(self, letters: DeadLetterStore) -> None:
        letters.put([LETTER])
        assert letters.replayed(LETTER.blob_name) is None
        letters.mark_replayed(LETTER.blob_name, "ACCEPTED")
        assert letters.replayed(LETTER.blob_name) == "ACCEPTED"
        assert letters.get(LETTER.blob_name) == LETTER, "a replay leaves the letter as it was"

    def test_names_are_listed_in_order_under_their_prefix(self, letters: DeadLetterStore) -> None:
        other_day = replace(LETTER, business_date=date(2026, 3, 3))
        others = [replace(LETTER, name=n) for n in ("x.3", "x.2")]
        letters.put([*others, other_day, replace(LETTER, hub="cancellations")])
        assert list(letters.names("contracts/2026-03-02/")) == ["contracts/2026-03-02/x.2.json",
                                                                 "contracts/2026-03-02/x.3.json"]
        assert list(letters.names()) == ["cancellations/2026-03-02/x.1.json", "contracts/2026-03-02/x.2.json",
                                         "contracts/2026-03-02/x.3.json", "contracts/2026-03-03/x.1.json"]


class TestDeadLettersInMemory(DeadLetterStoreContract):
    def make(self, request: pytest.FixtureRequest) -> DeadLetterStore:
        return MemoryDeadLetters()


class TestDeadLettersOnAzurite(DeadLetterStoreContract):
    def make(self, request: pytest.FixtureRequest) -> DeadLetterStore:
        return on_azurite.dead_letters(on_azurite.namespace(request))
