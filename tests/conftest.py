"""Shared fixtures. Azurite is started once per test session, only when a test asks for it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient
from fnix.dev.azurite import Azurite

from function_app.bootstrap import Exchange, bootstrap
from function_app.config import Settings, load_settings
from tests.eventhub_standin import EventHubStandIn

ROOT = Path(__file__).resolve().parents[1]
_namespaces = itertools.count(1)


def blob_service(settings: Settings) -> BlobServiceClient:
    """The test's own view of the storage account (the exchange builds its clients in its adapters)."""
    return BlobServiceClient.from_connection_string(settings.storage_connection or "")


def table_service(settings: Settings) -> TableServiceClient:
    return TableServiceClient.from_connection_string(settings.storage_connection or "")


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    with Azurite(ROOT, in_memory=True) as instance:
        yield instance


def fresh_namespace() -> str:
    """Tests share one Azurite; each gets its own tables and containers."""
    return f"t{next(_namespaces)}x"


@pytest.fixture
def storage_settings(azurite: Azurite) -> Settings:
    settings = load_settings({})
    return replace(settings, storage_connection=azurite.endpoints.connection_string, namespace=fresh_namespace())


@pytest.fixture
def table_exchange(storage_settings: Settings) -> Exchange:
    return bootstrap(storage_settings)


@pytest.fixture
def on_azurite(storage_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The app and the CLI as they run in Azure: settings from the environment, one exchange per process (built
    anew for this test, and forgotten after it)."""
    from function_app.bootstrap import exchange

    monkeypatch.setenv("AzureWebJobsStorage", storage_settings.storage_connection or "")
    monkeypatch.setenv("STORAGE_NAMESPACE", storage_settings.namespace)
    exchange.cache_clear()
    yield storage_settings
    if exchange.cache_info().currsize:
        close = getattr(exchange().feedback, "close", None)  # the producer client the functions connected
        if close is not None:
            close()
    exchange.cache_clear()


@pytest.fixture
def feedback_hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[EventHubStandIn]:
    """An Event Hubs stand-in on a loopback port, named by the app's `EventHubConnection` setting: the app's
    exchange sends its feedback there (tests/eventhub_standin.py)."""
    with EventHubStandIn.running() as hub:
        monkeypatch.setenv("EventHubConnection", hub.connection_string)
        yield hub
