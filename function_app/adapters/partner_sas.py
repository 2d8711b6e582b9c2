"""Read+list SAS links to partner containers, and the acks partners upload into them.

The signing material comes only from the BlobServiceClient the app already has:

- built from a connection string with an account key (Azurite, local runs), its credential carries
  `account_name`/`account_key`: a service SAS signed with the key;
- built with a token credential (managed identity in Azure), a user delegation key is requested for the
  lifetime of the link and the SAS is signed with it, so no account key is needed or read anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.storage.blob import BlobServiceClient, ContainerClient, ContainerSasPermissions, generate_container_sas

from function_app.adapters.partner_blobs import BlobPartnerFiles, is_file
from function_app.service_layer.partner_access import ACK_PREFIX, ACK_READ_LIMIT, AccessIssuer, AckInbox

KEY_START_SLACK = timedelta(minutes=5)  # a user delegation key valid a little before now, for clock skew


class SasIssuerError(RuntimeError):
    """The storage client holds nothing that can sign a SAS (e.g. it was itself built from a SAS)."""


class BlobAccessIssuer(AccessIssuer):
    def __init__(
        self, service: BlobServiceClient, namespace: str = "", clock: Callable[[], datetime] | None = None
    ) -> None:
        self._service = service
        self._names = BlobPartnerFiles(service, namespace)  # the one place partner container names are made
        self._clock = clock or (lambda: datetime.now(UTC))

    def read_list_url(self, partner: str, expires_at: datetime) -> str:
        if expires_at.tzinfo is None:
            raise ValueError(f"expires_at must be timezone-aware, got {expires_at.isoformat()}")
        container = self._service.get_container_client(self._names.container_name(partner))
        permission = ContainerSasPermissions(read=True, list=True)
        # Only HTTPS where the account is reached over HTTPS (Azure); Azurite runs plain HTTP on loopback.
        protocol = "https" if urlsplit(container.url).scheme == "https" else None
        credential = self._service.credential
        account_key = getattr(credential, "account_key", None)
        if account_key:
            sas = generate_container_sas(
                getattr(credential, "account_name", None) or self._service.account_name or "",
                container.container_name, account_key=account_key, permission=permission, expiry=expires_at,
                protocol=protocol,
            )
        elif callable(getattr(credential, "get_token", None)):
            start = self._clock() - KEY_START_SLACK
            key = self._service.get_user_delegation_key(key_start_time=start, key_expiry_time=expires_at)
            sas = generate_container_sas(
                self._service.account_name or "", container.container_name, user_delegation_key=key,
                permission=permission, expiry=expires_at, protocol=protocol,
            )
        else:
            raise SasIssuerError(
                "cannot sign a SAS: the blob client has neither an account key (connection string) nor a token "
                "credential (managed identity)"
            )
        return f"{container.url}?{sas}"


class BlobAckInbox(AckInbox):
    """Blobs under `inbound/ack/` of each partner's container; reads at most ACK_READ_LIMIT bytes of each."""

    def __init__(self, service: BlobServiceClient, namespace: str = "") -> None:
        self._service = service
        self._names = BlobPartnerFiles(service, namespace)

    def acks(self, partner: str) -> Iterator[tuple[str, bytes]]:
        container = self._service.get_container_client(self._names.container_name(partner))
        try:
            blobs = [b for b in container.list_blobs(name_starts_with=ACK_PREFIX, include=["metadata"]) if is_file(b)]
        except ResourceNotFoundError:
            return  # nothing was ever delivered to this partner
        for blob in blobs:
            try:
                yield blob.name, _head(container, blob.name, int(blob.size or 0))
            except ResourceNotFoundError:
                continue  # deleted by the partner since the listing


def _head(container: ContainerClient, name: str, size: int) -> bytes:
    """The first ACK_READ_LIMIT bytes of a blob. A range request on an empty blob is refused (416): none is made."""
    if size == 0:
        return b""
    try:
        return bytes(container.download_blob(name, offset=0, length=min(size, ACK_READ_LIMIT)).readall())
    except HttpResponseError as exc:
        if exc.status_code == 416:  # emptied by the partner since the listing
            return b""
        raise
