"""Daily seals of the journal's chain: each business date's head written once where the exchange cannot change it
again (a container with a version-level immutability policy in Azure; see infra/README.md)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from function_app.domain.kernel.chain import ChainSeal
from function_app.service_layer.kernel.ports import Journal


class SealStore(ABC):
    @abstractmethod
    def put(self, seal: ChainSeal) -> bool:
        """Writes the seal of its date if that date has none; False, writing nothing, if it has one."""

    @abstractmethod
    def get(self, business_date: date) -> ChainSeal | None: ...


class SealOutcome(StrEnum):
    SEALED = "SEALED"  # written now
    ALREADY_SEALED = "ALREADY_SEALED"  # the same chain was sealed before
    CONTRADICTED = "CONTRADICTED"  # the journal no longer gives the chain that was sealed


@dataclass(frozen=True)
class SealResult:
    outcome: SealOutcome
    seal: ChainSeal  # the one that stands: the earlier seal when there was one
    journal: ChainSeal  # the chain the journal gives now


class JournalSealer:
    def __init__(self, journal: Journal, seals: SealStore, clock: Callable[[], datetime]) -> None:
        self._journal, self._seals, self._clock = journal, seals, clock

    def seal(self, business_date: date) -> SealResult:
        """Seals the date's chain as the journal holds it. A date is sealed once its facts are settled; sealing it
        again changes nothing and says whether the journal still gives the chain that was sealed."""
        now = ChainSeal.of(business_date, self._journal.read(business_date), self._clock())
        if self._seals.put(now):
            return SealResult(SealOutcome.SEALED, now, now)
        earlier = self._seals.get(business_date)
        if earlier is None:  # a seal that exists and cannot be read back is the platform's failure, not a verdict
            raise RuntimeError(f"the seal of {business_date} exists but could not be read")
        outcome = SealOutcome.ALREADY_SEALED if earlier.same_chain(now) else SealOutcome.CONTRADICTED
        return SealResult(outcome, earlier, now)
