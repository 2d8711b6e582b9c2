"""Azurite stopped in the middle of a batch, then started again: the batch fails, the redelivery completes,
and nothing is lost or written twice."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from azure.core.exceptions import AzureError
from fnix.dev.azurite import Azurite

from function_app.bootstrap import Exchange, bootstrap
from function_app.config import load_settings
from function_app.domain.kernel.journal import JournalFact
from function_app.service_layer.kernel.ports import Journal
from tests.events import cancellation, contract, messages

ROOT = Path(__file__).resolve().parents[2]


class StopsStorageFirst(Journal):
    """Pulls the plug on Azurite after the contract records were written, just before the journal write."""

    def __init__(self, inner: Journal, azurite: Azurite) -> None:
        self.inner = inner
        self.azurite = azurite
        self.armed = False

    def append(self, facts: Sequence[JournalFact]) -> None:
        if self.armed:
            self.armed = False
            self.azurite.stop()
        self.inner.append(facts)

    def read(self, business_date: date, after: str | None = None) -> Iterator[JournalFact]:
        return self.inner.read(business_date, after)


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[Azurite]:
    with Azurite(ROOT, location=tmp_path / "azurite") as azurite:
        yield azurite


def exchange_on(azurite: Azurite) -> tuple[Exchange, StopsStorageFirst]:
    settings = replace(load_settings({}), storage_connection=azurite.endpoints.connection_string)
    real = bootstrap(settings, client_options={"retry_total": 0})
    journal = StopsStorageFirst(real.journal, azurite)
    return bootstrap(settings, contracts=real.contracts, journal=journal, dead_letters=real.dead_letters), journal


def test_storage_outage_mid_batch_then_redelivery(storage: Azurite) -> None:
    exchange, journal = exchange_on(storage)
    exchange.realtime.process(messages("cancellations", [cancellation("VSC0000003")]))
    batch = messages("contracts", [contract(f"VSC000000{i}") for i in range(6)] + [b"oops"], start=40)
    journal.armed = True
    with pytest.raises(AzureError):
        exchange.realtime.process(batch)
    assert not storage.running

    storage.restart()
    redelivered = exchange.realtime.process(batch)
    statuses = [fb.decision.status for fb in redelivered.feedback]
    assert statuses == ["ACCEPTED"] * 7 + ["REJECTED"]
    assert redelivered.feedback[4].in_reply_to == "D10442-VSC0000003-cancel"
    assert redelivered.redelivered == 7  # the six contracts and the malformed body, all recorded once
    facts = list(exchange.journal.read(date(2026, 3, 2)))
    assert len(facts) == 7
    assert len({f.position for f in facts}) == 7

    third = exchange.realtime.process(batch)
    assert third.feedback == redelivered.feedback
    assert len(list(exchange.journal.read(date(2026, 3, 2)))) == 7
