"""The SealStore contract, and the sealer over it: a date's seal is written once and never replaced, and sealing
again says whether the journal still gives the chain that was sealed. Every adapter passes the same tests."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from function_app.adapters.kernel.memory import MemoryJournal, MemorySeals
from function_app.domain.kernel.chain import LINK_PREFIX, ChainSeal, genesis
from function_app.domain.kernel.journal import FactKind, JournalFact
from function_app.service_layer.kernel.seals import JournalSealer, SealOutcome, SealStore
from tests.contracts import on_azurite

DAY = date(2026, 3, 2)
NOON = datetime(2026, 3, 3, 12, tzinfo=UTC)


def fact(n: int, amount: str = "100.00", day: date = DAY) -> JournalFact:
    return JournalFact(day, f"20260302T15{n:08d}Z-contracts-0000-{n:020d}", FactKind.CONTRACT_ACCEPTED,
                       f"C{n:05d}", 1, "D1", "VSC", "OEM1", "ADM1", f"e{n}", "urn:dealer:D1",
                       {"contract": {"pricing": {"retail_price": amount}}})


class SealStoreContract(ABC):
    @abstractmethod
    def make(self, request: pytest.FixtureRequest) -> SealStore: ...

    @pytest.fixture
    def seals(self, request: pytest.FixtureRequest) -> SealStore:
        return self.make(request)

    def test_a_seal_reads_back_as_written(self, seals: SealStore) -> None:
        seal = ChainSeal.of(DAY, [fact(n) for n in range(1, 1502)], NOON)
        assert seals.put(seal)
        assert seals.get(DAY) == seal
        assert seal.facts == 1501 and seal.last_position == fact(1501).position
        assert seal.entries[-1][1] == seal.head[:LINK_PREFIX]

    def test_a_date_without_a_seal_reads_as_none(self, seals: SealStore) -> None:
        assert seals.get(DAY) is None

    def test_a_seal_is_never_replaced(self, seals: SealStore) -> None:
        first = ChainSeal.of(DAY, [fact(1)], NOON)
        assert seals.put(first)
        assert not seals.put(ChainSeal.of(DAY, [fact(1, "1.00")], NOON + timedelta(hours=1)))
        assert seals.get(DAY) == first

    def test_an_empty_date_seals_its_genesis(self, seals: SealStore) -> None:
        assert seals.put(ChainSeal.of(DAY, [], NOON))
        sealed = seals.get(DAY)
        assert sealed is not None and (sealed.facts, sealed.last_position, sealed.head) == (0, None, genesis(DAY))

    def test_the_sealer_seals_once_and_then_checks(self, seals: SealStore) -> None:
        journal = MemoryJournal()
        journal.append([fact(1), fact(2)])
        sealer = JournalSealer(journal, seals, clock=lambda: NOON)
        assert sealer.seal(DAY).outcome is SealOutcome.SEALED
        assert sealer.seal(DAY).outcome is SealOutcome.ALREADY_SEALED
        journal.append([replace(fact(2), data={"contract": {"pricing": {"retail_price": "1.00"}}})])  # an edit
        result = sealer.seal(DAY)
        assert result.outcome is SealOutcome.CONTRADICTED
        assert result.seal.head != result.journal.head and result.seal == seals.get(DAY)


class TestSealsInMemory(SealStoreContract):
    def make(self, request: pytest.FixtureRequest) -> SealStore:
        return MemorySeals()


class TestSealsOnAzurite(SealStoreContract):
    def make(self, request: pytest.FixtureRequest) -> SealStore:
        return on_azurite.seals(on_azurite.namespace(request))
