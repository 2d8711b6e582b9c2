"""The one composition root: builds the real adapters from settings. Tests pass their own instead."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from function_app.config import ConfigError, Settings, load_settings
from function_app.domain.decisions import ContractBook
from function_app.service_layer.holds import HoldExpiry
from function_app.service_layer.ports import ContractStore, DeadLetterStore, Journal
from function_app.service_layer.realtime import RealtimeService

ResponseHook = Callable[[Any], None]


@dataclass
class Exchange:
    settings: Settings
    contracts: ContractStore
    journal: Journal
    dead_letters: DeadLetterStore
    realtime: RealtimeService
    holds: HoldExpiry


def bootstrap(
    settings: Settings | None = None,
    *,
    contracts: ContractStore | None = None,
    journal: Journal | None = None,
    dead_letters: DeadLetterStore | None = None,
    response_hook: ResponseHook | None = None,
    client_options: dict[str, Any] | None = None,
) -> Exchange:
    settings = settings or load_settings()
    if contracts is None or journal is None or dead_letters is None:
        options = dict(client_options or {})
        if response_hook:
            options["raw_response_hook"] = response_hook
        contracts, journal, dead_letters = _azure_adapters(settings, options)
    book = ContractBook(settings.catalogue)
    realtime = RealtimeService(contracts, journal, dead_letters, book, settings.zone)
    holds = HoldExpiry(contracts, dead_letters, book, settings.zone, settings.hold)
    return Exchange(settings, contracts, journal, dead_letters, realtime, holds)


def _azure_adapters(settings: Settings, hooks: dict[str, Any]) -> tuple[ContractStore, Journal, DeadLetterStore]:
    from azure.data.tables import TableServiceClient
    from azure.storage.blob import BlobServiceClient

    from function_app.adapters.blobs import BlobDeadLetters, ensure_container
    from function_app.adapters.tables import TableContractStore, TableJournal, ensure_table

    if settings.storage_connection:
        tables = TableServiceClient.from_connection_string(settings.storage_connection, **hooks)
        blobs = BlobServiceClient.from_connection_string(settings.storage_connection, **hooks)
    elif settings.table_service_uri and settings.blob_service_uri:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
        tables = TableServiceClient(settings.table_service_uri, credential=credential, **hooks)
        blobs = BlobServiceClient(settings.blob_service_uri, credential=credential, **hooks)
    else:
        raise ConfigError(
            "AzureWebJobsStorage: set a connection string, or AzureWebJobsStorage__accountName "
            "(managed identity) in Azure"
        )
    contracts = TableContractStore(ensure_table(tables, settings.contracts_table), settings.contract_partitions)
    journal = TableJournal(ensure_table(tables, settings.journal_table))
    dead_letters = BlobDeadLetters(ensure_container(blobs, settings.dead_letter_container))
    return contracts, journal, dead_letters


_exchange: Exchange | None = None


def exchange() -> Exchange:
    """The app's exchange, built on first use so that indexing the app stays light."""
    global _exchange
    if _exchange is None:
        _exchange = bootstrap()
    return _exchange
