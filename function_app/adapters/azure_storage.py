"""The exchange's storage on Azure (or Azurite): the one place the storage SDK clients are built.

With a connection string (`AzureWebJobsStorage`, Azurite locally) or, in Azure, the account's service URIs and
the app's managed identity. Tables and containers are created if absent, once, when the exchange is built.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from function_app.config import ConfigError, Settings
from function_app.service_layer.kernel.storage import Storage


def azure_storage(
    settings: Settings,
    *,
    clock: Callable[[], datetime],
    client_options: dict[str, Any] | None = None,
    response_hook: Callable[[Any], None] | None = None,
) -> Storage:
    from function_app.adapters.claims.azure import BlobClaimsInbox, TableClaimsProgress, TableClaimsRegistry
    from function_app.adapters.delivery.job_queues import StorageJobQueues
    from function_app.adapters.delivery.partner_blobs import BlobPartnerFiles
    from function_app.adapters.delivery.partner_sas import BlobAccessIssuer, BlobAckInbox
    from function_app.adapters.delivery.tables import TableDeliveryStates
    from function_app.adapters.kernel.blobs import BlobDeadLetters, BlobReports, ensure_container
    from function_app.adapters.kernel.contract_store import TableContractStore
    from function_app.adapters.kernel.in_flight_table import TableInFlight
    from function_app.adapters.kernel.journal_table import TableJournal
    from function_app.adapters.kernel.seal_blobs import BlobSeals
    from function_app.adapters.kernel.table_storage import ensure_table
    from function_app.adapters.reconciliation.tables import TableBreaks

    options = dict(client_options or {})
    if response_hook:
        options["raw_response_hook"] = response_hook
    tables, blobs, queues = _clients(settings, options)
    return Storage(
        contracts=TableContractStore(ensure_table(tables, settings.contracts_table), settings.contract_partitions),
        journal=TableJournal(ensure_table(tables, settings.journal_table), settings.journal_shards),
        dead_letters=BlobDeadLetters(ensure_container(blobs, settings.dead_letter_container)),
        deliveries=TableDeliveryStates(ensure_table(tables, settings.deliveries_table)),
        partner_files=BlobPartnerFiles(blobs, settings.namespace),
        job_queues=StorageJobQueues(queues),
        breaks=TableBreaks(ensure_table(tables, settings.breaks_table)),
        reports=BlobReports(ensure_container(blobs, settings.reports_container)),
        claims_inbox=BlobClaimsInbox(blobs, settings.namespace),
        claims_registry=TableClaimsRegistry(ensure_table(tables, settings.claims_table)),
        claims_progress=TableClaimsProgress(ensure_table(tables, settings.claim_files_table)),
        ack_inbox=BlobAckInbox(blobs, settings.namespace),
        access_issuer=BlobAccessIssuer(blobs, settings.namespace, clock=clock),
        seals=BlobSeals(_evidence(settings, blobs, options)),
        in_flight=TableInFlight(ensure_table(tables, settings.in_flight_table)),
    )


def _evidence(settings: Settings, blobs: Any, options: dict[str, Any]) -> Any:
    """The seals' container: in Azure on the evidence account, which the deployment creates and the app may only read
    and create blobs in (infra/app/evidence.bicep); otherwise (Azurite) on the main account, created if absent."""
    from function_app.adapters.kernel.blobs import ensure_container

    if settings.storage_connection or not settings.evidence_blob_service_uri:
        return ensure_container(blobs, settings.evidence_container)
    from azure.identity import DefaultAzureCredential
    from azure.storage.blob import BlobServiceClient

    evidence = BlobServiceClient(settings.evidence_blob_service_uri, credential=DefaultAzureCredential(), **options)
    return evidence.get_container_client(settings.evidence_container)


def _clients(settings: Settings, options: dict[str, Any]) -> tuple[Any, Any, Any]:
    from azure.data.tables import TableServiceClient
    from azure.storage.blob import BlobServiceClient
    from azure.storage.queue import QueueServiceClient

    if settings.storage_connection:
        return (TableServiceClient.from_connection_string(settings.storage_connection, **options),
                BlobServiceClient.from_connection_string(settings.storage_connection, **options),
                QueueServiceClient.from_connection_string(settings.storage_connection, **options))
    if settings.table_service_uri and settings.blob_service_uri and settings.queue_service_uri:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
        return (TableServiceClient(settings.table_service_uri, credential=credential, **options),
                BlobServiceClient(settings.blob_service_uri, credential=credential, **options),
                QueueServiceClient(settings.queue_service_uri, credential=credential, **options))
    raise ConfigError(
        "AzureWebJobsStorage: set a connection string, or AzureWebJobsStorage__accountName (managed identity) in Azure"
    )
