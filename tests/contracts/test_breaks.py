"""The BreakStore contract: every adapter of the port passes the same tests. The port promises no order."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import UTC, date, datetime, timedelta

import pytest

from function_app.adapters.reconciliation.memory import MemoryBreaks
from function_app.domain.reconciliation.model import Break, BreakKind
from function_app.service_layer.reconciliation.ports import BreakStore
from tests.contracts import on_azurite

DAY = date(2026, 3, 2)
AT = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


def broken(key: str, kind: BreakKind = BreakKind.MISSING, detail: str = "in the journal, not in the file",
           day: date = DAY) -> Break:
    return Break(kind, day, "adm-01/nightly", key, key if key.startswith("VSC") else None, detail)


def by_identity(breaks: list[Break]) -> list[Break]:
    return sorted(breaks, key=lambda b: b.identity)


class BreakStoreContract(ABC):
    @abstractmethod
    def make(self, request: pytest.FixtureRequest) -> BreakStore: ...

    @pytest.fixture
    def breaks(self, request: pytest.FixtureRequest) -> BreakStore:
        return self.make(request)

    def test_a_date_never_reconciled_has_no_open_breaks(self, breaks: BreakStore) -> None:
        assert breaks.open_breaks(DAY) == []

    def test_breaks_found_stay_open_per_date_until_resolved(self, breaks: BreakStore) -> None:
        found = [broken("VSC7000001"), broken("VSC7000002", BreakKind.AMOUNT_MISMATCH, "1675.71 != 1775.71"),
                 broken("f1.txt#3", BreakKind.DUPLICATE)]
        breaks.record(DAY, found, [], AT)
        breaks.record(DAY + timedelta(days=1), [broken("VSC7000009", day=DAY + timedelta(days=1))], [], AT)
        assert by_identity(breaks.open_breaks(DAY)) == by_identity(found)
        breaks.record(DAY, found[1:], found[:1], AT + timedelta(hours=1))
        assert by_identity(breaks.open_breaks(DAY)) == by_identity(found[1:])
        assert breaks.open_breaks(DAY + timedelta(days=1)) == [broken("VSC7000009", day=DAY + timedelta(days=1))]

    def test_one_kind_of_break_of_a_key_is_not_another(self, breaks: BreakStore) -> None:
        missing, late = broken("VSC7000001"), broken("VSC7000001", BreakKind.LATE, "SLA passed")
        breaks.record(DAY, [missing, late], [], AT)
        breaks.record(DAY, [late], [missing], AT)
        assert breaks.open_breaks(DAY) == [late]

    def test_a_resolved_break_found_again_is_open_again_as_last_found(self, breaks: BreakStore) -> None:
        breaks.record(DAY, [broken("VSC7000001")], [], AT)
        breaks.record(DAY, [], [broken("VSC7000001")], AT + timedelta(hours=1))
        assert breaks.open_breaks(DAY) == []
        again = broken("VSC7000001", detail="in the journal, still not in the file")
        breaks.record(DAY, [again], [], AT + timedelta(hours=2))
        assert breaks.open_breaks(DAY) == [again]

    def test_more_breaks_than_a_transaction_holds(self, breaks: BreakStore) -> None:
        found = [broken(f"VSC7{i:06d}") for i in range(250)]
        breaks.record(DAY, found, [], AT)
        breaks.record(DAY, found[100:], found[:100], AT)
        assert by_identity(breaks.open_breaks(DAY)) == by_identity(found[100:])

    def test_standing_breaks_are_kept_apart_from_every_date_until_resolved(self, breaks: BreakStore) -> None:
        overdue = [Break(BreakKind.REFUND_OVERDUE, DAY - timedelta(days=d), "refunds-owed", n, n, "3 days overdue")
                   for d, n in [(40, "VSC7000001"), (90, "VSC7000002")]]
        breaks.record(DAY, [broken("VSC7000003")], [], AT)
        breaks.record_standing(overdue, [], AT)
        assert by_identity(breaks.open_standing()) == by_identity(overdue)
        assert breaks.open_breaks(DAY) == [broken("VSC7000003")]
        assert all(breaks.open_breaks(b.business_date) == [] for b in overdue)
        breaks.record_standing(overdue[1:], overdue[:1], AT + timedelta(days=1))
        assert breaks.open_standing() == overdue[1:]
        assert breaks.open_breaks(DAY) == [broken("VSC7000003")]


class TestBreaksInMemory(BreakStoreContract):
    def make(self, request: pytest.FixtureRequest) -> BreakStore:
        return MemoryBreaks()


class TestBreaksOnAzurite(BreakStoreContract):
    def make(self, request: pytest.FixtureRequest) -> BreakStore:
        return on_azurite.breaks(on_azurite.namespace(request))
