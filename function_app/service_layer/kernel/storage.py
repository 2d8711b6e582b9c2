"""Every port the exchange uses, as one bundle: the composition root takes it whole (Azure Storage, or memory in
tests and benchmarks) and replaces single ports where a caller passes its own."""

from __future__ import annotations

from dataclasses import dataclass

from function_app.service_layer.claims.ports import ClaimsInbox, ClaimsProgress, ClaimsRegistry
from function_app.service_layer.delivery.access import AccessIssuer, AckInbox
from function_app.service_layer.delivery.ports import DeliveryStateStore, JobQueues, PartnerFileStore
from function_app.service_layer.kernel.in_flight import InFlightWriters
from function_app.service_layer.kernel.ports import ContractStore, DeadLetterStore, Journal
from function_app.service_layer.kernel.seals import SealStore
from function_app.service_layer.reconciliation.ports import BreakStore, ReportStore


@dataclass(frozen=True)
class Storage:
    contracts: ContractStore
    journal: Journal
    dead_letters: DeadLetterStore
    deliveries: DeliveryStateStore
    partner_files: PartnerFileStore
    job_queues: JobQueues
    breaks: BreakStore
    reports: ReportStore
    claims_inbox: ClaimsInbox
    claims_registry: ClaimsRegistry
    claims_progress: ClaimsProgress
    ack_inbox: AckInbox
    access_issuer: AccessIssuer
    seals: SealStore
    in_flight: InFlightWriters
