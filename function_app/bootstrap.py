"""The one composition root: builds the real adapters from settings. Tests pass their own instead."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from function_app.config import ConfigError, Settings, load_settings
from function_app.domain.decisions import ContractBook
from function_app.service_layer.holds import HoldExpiry
from function_app.service_layer.ports import ContractStore, DeadLetterStore, Journal
from function_app.service_layer.realtime import RealtimeService

if TYPE_CHECKING:
    from azure.data.tables import TableServiceClient
    from azure.storage.blob import BlobServiceClient

    from function_app.domain.partners import PartnerConfig
    from function_app.service_layer.claims_intake import ClaimsIntake
    from function_app.service_layer.delivery import DeliveryService
    from function_app.service_layer.delivery_ports import DeliveryStateStore, PartnerFileStore
    from function_app.service_layer.partner_access import AccessIssuer, Acknowledgements
    from function_app.service_layer.reconciliation import ReconciliationService
    from function_app.service_layer.reconciliation_ports import BreakStore

ResponseHook = Callable[[Any], None]
Clock = Callable[[], datetime]


@dataclass
class Exchange:
    settings: Settings
    contracts: ContractStore
    journal: Journal
    dead_letters: DeadLetterStore
    realtime: RealtimeService
    holds: HoldExpiry
    deliveries: DeliveryStateStore | None = None
    partner_files: PartnerFileStore | None = None
    partners: PartnerConfig | None = None
    clients: dict[str, Any] = field(default_factory=dict)
    clock: Clock = field(default=lambda: datetime.now(UTC))
    breaks: BreakStore | None = None
    _delivery: DeliveryService | None = None

    @property
    def delivery(self) -> DeliveryService:
        """Partner delivery, built on first use: the real-time path never loads the partner configuration."""
        if self._delivery is None:
            from function_app.domain.partners import load_partner_config
            from function_app.service_layer.delivery import DeliveryService

            if self.partners is None:
                self.partners = load_partner_config(self.settings.partner_config)
            if self.deliveries is None or self.partner_files is None:
                self.deliveries, self.partner_files = _delivery_adapters(self.settings, self.clients)
            self._delivery = DeliveryService(
                self.partners, self.journal, self.partner_files, self.deliveries, self.settings.zone,
                settle=self.settings.settle, clock=self.clock,
            )
        return self._delivery

    @property
    def reconciliation(self) -> ReconciliationService:
        from function_app.service_layer.reconciliation import ReconciliationService

        _ = self.delivery
        assert self.partners is not None and self.deliveries is not None and self.partner_files is not None
        if self.breaks is None:
            from function_app.adapters.break_tables import TableBreaks
            from function_app.adapters.tables import ensure_table

            self.breaks = TableBreaks(ensure_table(self.clients["tables"], self.settings.breaks_table))
        return ReconciliationService(
            self.partners, self.journal, self.contracts, self.deliveries, self.partner_files, self.breaks,
            self.settings.catalogue, settle=self.settings.settle, clock=self.clock,
        )

    def write_report(self, name: str, data: bytes, content_type: str) -> str:
        """Reports go to container `reports`; returns the blob's name there."""
        from azure.storage.blob import ContentSettings

        from function_app.adapters.blobs import ensure_container

        container = ensure_container(self.clients["blobs"], self.settings.reports_container)
        settings = ContentSettings(content_type=content_type)
        container.upload_blob(name, data, overwrite=True, content_settings=settings)
        return f"{self.settings.reports_container}/{name}"

    @property
    def claims(self) -> ClaimsIntake:
        from function_app.adapters.claims_storage import BlobClaimsInbox, TableClaimsProgress, TableClaimsRegistry
        from function_app.adapters.tables import ensure_table
        from function_app.service_layer.claims_intake import ClaimsIntake

        _ = self.delivery
        assert self.partners is not None
        tables, settings = self.clients["tables"], self.settings
        return ClaimsIntake(
            self.partners, BlobClaimsInbox(self.clients["blobs"], settings.namespace),
            TableClaimsRegistry(ensure_table(tables, settings.claims_table)),
            TableClaimsProgress(ensure_table(tables, settings.claim_files_table)),
            self.contracts, self.journal, settings.zone, clock=self.clock,
        )

    @property
    def access_issuer(self) -> AccessIssuer:
        from function_app.adapters.partner_sas import BlobAccessIssuer

        _ = self.delivery  # the partner configuration and the storage clients
        return BlobAccessIssuer(self.clients["blobs"], self.settings.namespace, clock=self.clock)

    @property
    def acknowledgements(self) -> Acknowledgements:
        from function_app.adapters.partner_sas import BlobAckInbox
        from function_app.service_layer.partner_access import Acknowledgements

        _ = self.delivery
        assert self.deliveries is not None and self.partners is not None
        inbox = BlobAckInbox(self.clients["blobs"], self.settings.namespace)
        return Acknowledgements(self.deliveries, inbox, self.partners)


def bootstrap(
    settings: Settings | None = None,
    *,
    contracts: ContractStore | None = None,
    journal: Journal | None = None,
    dead_letters: DeadLetterStore | None = None,
    deliveries: DeliveryStateStore | None = None,
    partner_files: PartnerFileStore | None = None,
    partners: PartnerConfig | None = None,
    response_hook: ResponseHook | None = None,
    client_options: dict[str, Any] | None = None,
    clock: Clock | None = None,
    breaks: BreakStore | None = None,
) -> Exchange:
    settings = settings or load_settings()
    clock = clock or (lambda: datetime.now(UTC))
    clients: dict[str, Any] = {}
    if contracts is None or journal is None or dead_letters is None:
        options = dict(client_options or {})
        if response_hook:
            options["raw_response_hook"] = response_hook
        clients = _clients(settings, options)
        contracts, journal, dead_letters = _realtime_adapters(settings, clients)
    book = ContractBook(settings.catalogue)
    realtime = RealtimeService(contracts, journal, dead_letters, book, settings.zone, clock=clock)
    holds = HoldExpiry(contracts, dead_letters, book, settings.zone, settings.hold)
    return Exchange(
        settings, contracts, journal, dead_letters, realtime, holds, deliveries, partner_files, partners, clients,
        clock, breaks,
    )


def _clients(settings: Settings, options: dict[str, Any]) -> dict[str, Any]:
    from azure.data.tables import TableServiceClient
    from azure.storage.blob import BlobServiceClient
    from azure.storage.queue import QueueServiceClient

    if settings.storage_connection:
        return {
            "tables": TableServiceClient.from_connection_string(settings.storage_connection, **options),
            "blobs": BlobServiceClient.from_connection_string(settings.storage_connection, **options),
            "queues": QueueServiceClient.from_connection_string(settings.storage_connection, **options),
        }
    if settings.table_service_uri and settings.blob_service_uri and settings.queue_service_uri:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
        return {
            "tables": TableServiceClient(settings.table_service_uri, credential=credential, **options),
            "blobs": BlobServiceClient(settings.blob_service_uri, credential=credential, **options),
            "queues": QueueServiceClient(settings.queue_service_uri, credential=credential, **options),
        }
    raise ConfigError(
        "AzureWebJobsStorage: set a connection string, or AzureWebJobsStorage__accountName (managed identity) in Azure"
    )


def _realtime_adapters(settings: Settings, clients: dict[str, Any]) -> tuple[ContractStore, Journal, DeadLetterStore]:
    from function_app.adapters.blobs import BlobDeadLetters, ensure_container
    from function_app.adapters.tables import TableContractStore, TableJournal, ensure_table

    tables: TableServiceClient = clients["tables"]
    blobs: BlobServiceClient = clients["blobs"]
    contracts = TableContractStore(ensure_table(tables, settings.contracts_table), settings.contract_partitions)
    journal = TableJournal(ensure_table(tables, settings.journal_table))
    dead_letters = BlobDeadLetters(ensure_container(blobs, settings.dead_letter_container))
    return contracts, journal, dead_letters


def _delivery_adapters(settings: Settings, clients: dict[str, Any]) -> tuple[DeliveryStateStore, PartnerFileStore]:
    from function_app.adapters.delivery_tables import TableDeliveryStates
    from function_app.adapters.partner_blobs import BlobPartnerFiles
    from function_app.adapters.tables import ensure_table

    if not clients:  # tests that bring their own real-time adapters still reach storage for delivery
        clients.update(_clients(settings, {}))
    states = TableDeliveryStates(ensure_table(clients["tables"], settings.deliveries_table))
    return states, BlobPartnerFiles(clients["blobs"], settings.namespace)


_exchange: Exchange | None = None


def exchange() -> Exchange:
    """The app's exchange, built on first use so that indexing the app stays light."""
    global _exchange
    if _exchange is None:
        from function_app import telemetry

        telemetry.configure()
        _exchange = bootstrap()
    return _exchange
