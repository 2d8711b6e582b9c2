"""Two Function instances meeting on one contract (the two hubs, or a rebalanced partition), on Azurite."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime

from function_app.bootstrap import Exchange, bootstrap
from function_app.config import Settings
from function_app.service_layer.kernel.ports import ContractChange, ContractStore, HeldMarker, IdentityClaim, Snapshot
from tests.events import cancellation, contract, messages


class InterleavedStore(ContractStore):
    """Lets the other instance write between this instance's read-and-decide and its write."""

    def __init__(self, inner: ContractStore, meanwhile: Callable[[], None]) -> None:
        self.inner = inner
        self.meanwhile: Callable[[], None] | None = meanwhile
        self.saves = 0

    def load(self, routing_keys: Iterable[str], inbox_keys: Mapping[str, str]) -> Snapshot:
        return self.inner.load(routing_keys, inbox_keys)

    def save(self, changes: Sequence[ContractChange]) -> set[str]:
        self.saves += 1
        run, self.meanwhile = self.meanwhile, None
        if run is not None:
            run()
        return self.inner.save(changes)

    def held_before(self, cutoff: datetime) -> list[HeldMarker]:
        return self.inner.held_before(cutoff)

    def claim(self, claims: Sequence[IdentityClaim]) -> dict[str, IdentityClaim]:
        return self.inner.claim(claims)

    def take_over(self, stale: IdentityClaim, claim: IdentityClaim) -> bool:
        return self.inner.take_over(stale, claim)


def instance_with(settings: Settings, meanwhile: Callable[[], None]) -> tuple[Exchange, InterleavedStore]:
    real = bootstrap(settings)
    store = InterleavedStore(real.contracts, meanwhile)
    return bootstrap(settings, contracts=store, journal=real.journal, dead_letters=real.dead_letters), store


def test_cancellation_held_by_one_instance_while_the_other_creates_the_contract(storage_settings: Settings) -> None:
    other = bootstrap(storage_settings)
    held: list[int] = []

    def cancel_meanwhile() -> None:
        held.append(other.realtime.process(messages("cancellations", [cancellation("VSC6000001")])).held)

    first, store = instance_with(storage_settings, cancel_meanwhile)
    report = first.realtime.process(messages("contracts", [contract("VSC6000001")], start=9))
    assert held == [1]
    assert store.saves == 2, "the optimistic create lost the race and was decided again"
    assert [f.decision.status for f in report.feedback] == ["ACCEPTED", "ACCEPTED"]
    assert report.feedback[1].to_json()["data"]["refund"]["customer_refund"] == "1675.71"
    assert len(list(first.journal.read(date(2026, 3, 2)))) == 2


def test_a_cancellation_decided_on_a_stale_read_is_decided_again(storage_settings: Settings) -> None:
    """The read-first path: the version token of the record read no longer matches, so the write is refused."""
    other = bootstrap(storage_settings)
    other.realtime.process(messages("contracts", [contract("VSC6000002")]))

    def other_cancellation_meanwhile() -> None:
        request = cancellation("VSC6000002", event_id="other-request", cancel_date="2026-03-01")
        other.realtime.process(messages("cancellations", [request], start=5))

    first, store = instance_with(storage_settings, other_cancellation_meanwhile)
    report = first.realtime.process(messages("cancellations", [cancellation("VSC6000002")], start=7))
    assert store.saves == 2
    assert [r.code for r in report.feedback[0].decision.reasons] == ["ALREADY_CANCELLED"]
    stored = first.contracts.load(["VSC6000002"], {}).contracts["VSC6000002"].record
    assert stored.cancellation is not None and stored.cancellation.event_id == "other-request"
    cancelled = [f for f in first.journal.read(date(2026, 3, 2)) if f.kind.value == "CONTRACT_CANCELLED"]
    assert len(cancelled) == 1
