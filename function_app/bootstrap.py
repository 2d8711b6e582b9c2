"""The one composition root: every adapter and service of the exchange, built once, from settings.

`bootstrap(settings)` builds Azure storage; tests and benchmarks pass `storage=memory_storage()`, or replace single
ports by name (`bootstrap(settings, journal=BrokenJournal())`). Nothing else builds a storage client.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from function_app.adapters.kernel.partner_config_file import load_partner_config
from function_app.config import Settings, load_settings
from function_app.domain.kernel.partners import PartnerConfig
from function_app.domain.realtime.decisions import ContractBook
from function_app.service_layer.api.queries import ContractQueries
from function_app.service_layer.claims.service import ClaimsIntake
from function_app.service_layer.delivery.access import AccessIssuer, Acknowledgements
from function_app.service_layer.delivery.ports import DeliveryStateStore, JobQueues, PartnerFileStore
from function_app.service_layer.delivery.service import DeliveryService
from function_app.service_layer.kernel.ports import ContractStore, DeadLetterStore, Journal
from function_app.service_layer.kernel.seals import JournalSealer
from function_app.service_layer.kernel.storage import Storage
from function_app.service_layer.realtime.holds import HoldExpiry
from function_app.service_layer.realtime.ports import FeedbackSender
from function_app.service_layer.realtime.service import RealtimeService
from function_app.service_layer.reconciliation.ports import BreakStore, ReportStore
from function_app.service_layer.reconciliation.service import ReconciliationService

ResponseHook = Callable[[Any], None]
Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Exchange:
    """The exchange's services over its storage, as the triggers, the CLI and the tests use them."""

    settings: Settings
    clock: Clock
    partners: PartnerConfig
    storage: Storage
    realtime: RealtimeService
    holds: HoldExpiry
    delivery: DeliveryService
    reconciliation: ReconciliationService
    claims: ClaimsIntake
    acknowledgements: Acknowledgements
    sealer: JournalSealer
    api: ContractQueries
    feedback: FeedbackSender

    @property
    def contracts(self) -> ContractStore:
        return self.storage.contracts

    @property
    def journal(self) -> Journal:
        return self.storage.journal

    @property
    def dead_letters(self) -> DeadLetterStore:
        return self.storage.dead_letters

    @property
    def deliveries(self) -> DeliveryStateStore:
        return self.storage.deliveries

    @property
    def partner_files(self) -> PartnerFileStore:
        return self.storage.partner_files

    @property
    def job_queues(self) -> JobQueues:
        return self.storage.job_queues

    @property
    def breaks(self) -> BreakStore:
        return self.storage.breaks

    @property
    def reports(self) -> ReportStore:
        return self.storage.reports

    @property
    def access_issuer(self) -> AccessIssuer:
        return self.storage.access_issuer


def bootstrap(
    settings: Settings | None = None,
    *,
    storage: Storage | None = None,
    partners: PartnerConfig | None = None,
    clock: Clock | None = None,
    client_options: dict[str, Any] | None = None,
    response_hook: ResponseHook | None = None,
    feedback: FeedbackSender | None = None,
    **ports: Any,
) -> Exchange:
    """`storage`: all ports (default: Azure storage from the settings); `ports`: single ports by their name in
    `Storage` (`contracts=`, `journal=`, ...), each replacing that one; `client_options` and `response_hook` go
    to the SDK clients when they are built here. `feedback`: where answers go (default: the hub `dealer-feedback`
    through azure-eventhub with the `EventHubConnection` settings, connected on the first send)."""
    settings = settings or load_settings()
    clock = clock or _utc_now
    if storage is None:
        from function_app.adapters.azure_storage import azure_storage

        storage = azure_storage(settings, clock=clock, client_options=client_options, response_hook=response_hook)
    storage = replace(storage, **ports)
    partners = partners or load_partner_config(settings.partner_config)
    book = ContractBook(settings.catalogue, settings.state_rules)
    if feedback is None:
        from function_app.adapters.realtime.feedback_hub import EventHubFeedback

        feedback = EventHubFeedback.from_connection(settings.event_hub_connection, settings.event_hub_namespace)
    return Exchange(
        settings=settings,
        clock=clock,
        partners=partners,
        storage=storage,
        realtime=RealtimeService(storage.contracts, storage.journal, storage.dead_letters, book, settings.zone,
                                 clock=clock, in_flight=storage.in_flight),
        holds=HoldExpiry(storage.contracts, storage.dead_letters, book, settings.zone, settings.hold),
        delivery=DeliveryService(partners, storage.journal, storage.partner_files, storage.deliveries,
                                 settings.zone, settle=settings.clock_skew, in_flight=storage.in_flight,
                                 clock=clock),
        reconciliation=ReconciliationService(partners, storage.journal, storage.contracts, storage.deliveries,
                                             storage.partner_files, storage.breaks, settings.catalogue,
                                             clock_skew=settings.clock_skew, micro_period=settings.micro_period,
                                             nightly_period=settings.nightly_period,
                                             claims=storage.claims_progress, clock=clock,
                                             seals=storage.seals, registry=storage.claims_registry,
                                             state_rules=settings.state_rules, zone=settings.zone),
        claims=ClaimsIntake(partners, storage.claims_inbox, storage.claims_registry, storage.claims_progress,
                            storage.contracts, storage.journal, settings.zone, clock=clock,
                            in_flight=storage.in_flight),
        acknowledgements=Acknowledgements(storage.deliveries, storage.ack_inbox, partners),
        sealer=JournalSealer(storage.journal, storage.seals, clock),
        api=ContractQueries(storage.contracts, book, settings.zone, clock),
        feedback=feedback,
    )


@functools.cache
def exchange() -> Exchange:
    """The app's exchange, built on the first invocation (so that indexing the app stays light) and kept for the
    life of the worker process. `exchange.cache_clear()` forgets it (the settings changed)."""
    from function_app import telemetry

    telemetry.configure()
    return bootstrap()
