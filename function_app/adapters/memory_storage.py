"""The exchange's storage in memory: every port, for tests and benchmarks. Files are one store, as they are
one container per partner in Blob Storage: what the claims and ack inboxes see is what partners uploaded there."""

from __future__ import annotations

from function_app.adapters.claims.memory import MemoryClaimsInbox, MemoryClaimsProgress, MemoryClaimsRegistry
from function_app.adapters.delivery.memory import (
    MemoryAckInbox,
    MemoryDeliveryStates,
    MemoryJobQueues,
    MemoryPartnerFiles,
    UnsignedAccess,
)
from function_app.adapters.kernel.in_flight_memory import MemoryInFlight
from function_app.adapters.kernel.memory import MemoryContractStore, MemoryDeadLetters, MemoryJournal, MemorySeals
from function_app.adapters.reconciliation.memory import MemoryBreaks, MemoryReports
from function_app.service_layer.kernel.storage import Storage


def memory_storage() -> Storage:
    files = MemoryPartnerFiles()
    return Storage(
        contracts=MemoryContractStore(),
        journal=MemoryJournal(),
        dead_letters=MemoryDeadLetters(),
        deliveries=MemoryDeliveryStates(),
        partner_files=files,
        job_queues=MemoryJobQueues(),
        breaks=MemoryBreaks(),
        reports=MemoryReports(),
        claims_inbox=MemoryClaimsInbox(files),
        claims_registry=MemoryClaimsRegistry(),
        claims_progress=MemoryClaimsProgress(),
        ack_inbox=MemoryAckInbox(files),
        access_issuer=UnsignedAccess(),
        seals=MemorySeals(),
        in_flight=MemoryInFlight(),
    )
