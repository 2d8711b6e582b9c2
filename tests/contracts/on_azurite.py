"""The Azure adapters built on the session's Azurite, each test in its own namespace: the one place that knows
how an Azure adapter is constructed, so the contract classes name ports, never SDK clients."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable
from typing import TypeVar

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError
from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobClient, BlobServiceClient, ContainerClient
from azure.storage.queue import QueueServiceClient

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
from function_app.config import Settings

T = TypeVar("T")


def _tables(settings: Settings) -> TableServiceClient:
    return TableServiceClient.from_connection_string(settings.storage_connection or "")


def _blobs(settings: Settings) -> BlobServiceClient:
    return BlobServiceClient.from_connection_string(settings.storage_connection or "")


def contract_store(settings: Settings) -> TableContractStore:
    return TableContractStore(ensure_table(_tables(settings), settings.contracts_table), settings.contract_partitions)


def journal(settings: Settings, page: int = 1000) -> TableJournal:
    return TableJournal(ensure_table(_tables(settings), settings.journal_table), settings.journal_shards, page)


def in_flight(settings: Settings) -> TableInFlight:
    return TableInFlight(ensure_table(_tables(settings), settings.in_flight_table))


def dead_letters(settings: Settings) -> BlobDeadLetters:
    return BlobDeadLetters(ensure_container(_blobs(settings), settings.dead_letter_container))


def delivery_states(settings: Settings) -> TableDeliveryStates:
    return TableDeliveryStates(ensure_table(_tables(settings), settings.deliveries_table))


def partner_files(settings: Settings) -> BlobPartnerFiles:
    return BlobPartnerFiles(_blobs(settings), settings.namespace)


def breaks(settings: Settings) -> TableBreaks:
    return TableBreaks(ensure_table(_tables(settings), settings.breaks_table))


def seals(settings: Settings) -> BlobSeals:
    return BlobSeals(ensure_container(_blobs(settings), settings.evidence_container))


def reports(settings: Settings) -> BlobReports:
    return BlobReports(ensure_container(_blobs(settings), settings.reports_container))


def stored_report(settings: Settings, name: str) -> tuple[bytes, str]:
    """What an operator downloads: a report's bytes and the content type it is served with."""
    blob = _blobs(settings).get_blob_client(settings.reports_container, name)
    return blob.download_blob().readall(), blob.get_blob_properties().content_settings.content_type or ""


def claims_inbox(settings: Settings) -> BlobClaimsInbox:
    return BlobClaimsInbox(_blobs(settings), settings.namespace)


def claims_registry(settings: Settings) -> TableClaimsRegistry:
    return TableClaimsRegistry(ensure_table(_tables(settings), settings.claims_table))


def claims_progress(settings: Settings) -> TableClaimsProgress:
    return TableClaimsProgress(ensure_table(_tables(settings), settings.claim_files_table))


def _queues(settings: Settings) -> QueueServiceClient:
    return QueueServiceClient.from_connection_string(settings.storage_connection or "")


def job_queues(settings: Settings) -> StorageJobQueues:
    return StorageJobQueues(_queues(settings))


def enqueue(settings: Settings, queue: str, body: str) -> None:
    """What the Functions host does with an output binding's message: base64 of its UTF-8 (host.json's
    `messageEncoding: base64`, https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue)."""
    client = _queues(settings).get_queue_client(queue)
    with contextlib.suppress(ResourceExistsError):
        client.create_queue()
    client.send_message(base64.b64encode(body.encode("utf-8")).decode("ascii"))


def namespace(request: pytest.FixtureRequest) -> Settings:
    """The session's Azurite (tests/conftest.py) under a namespace of this test's own."""
    found: Settings = request.getfixturevalue("storage_settings")
    return found


def upload(settings: Settings, partner: str, name: str, data: bytes) -> None:
    """What a partner does: a blob in its own container (which partner delivery creates)."""
    container = _blobs(settings).get_container_client(partner_files(settings).container_name(partner))
    if not container.exists():
        container.create_container()
    container.upload_blob(name, data, overwrite=True)


def ack_inbox(settings: Settings) -> BlobAckInbox:
    return BlobAckInbox(_blobs(settings), settings.namespace)


def access_issuer(settings: Settings) -> BlobAccessIssuer:
    return BlobAccessIssuer(_blobs(settings), settings.namespace)


def _as_partner(action: Callable[[], T]) -> T:
    """A partner's request with a link: Azurite's 403 (a refused signature, permission or expiry) is PermissionError."""
    try:
        return action()
    except HttpResponseError as exc:
        if exc.status_code == 403:
            raise PermissionError(str(exc).splitlines()[0]) from exc
        raise


def _beneath(link: str, name: str) -> BlobClient:
    """How a partner uses a link: the blob's name beneath the link's path, the link's SAS after it."""
    base, _, sas = link.partition("?")
    return BlobClient.from_blob_url(f"{base}/{name}?{sas}")


def link_names(link: str) -> list[str]:
    return _as_partner(lambda: sorted(b.name for b in ContainerClient.from_container_url(link).list_blobs()))


def link_read(link: str, name: str) -> bytes:
    return _as_partner(lambda: _beneath(link, name).download_blob().readall())


def link_write(link: str, name: str, data: bytes) -> None:
    _as_partner(lambda: _beneath(link, name).upload_blob(data, overwrite=True))


def link_delete(link: str, name: str) -> None:
    _as_partner(lambda: _beneath(link, name).delete_blob())
