"""SAS links to partner containers (read+list; create+write on `inbound/ack/` only), and the acks partners upload.

An ack link is a directory-scoped SAS (`sr=d`, `sdd=2`) on `inbound/ack`: on an account with a hierarchical
namespace (which SFTP needs, and infra/ enables) Azure allows it to create and write blobs under that directory
and nothing else. Azurite implements no directory scope: there, and only there, the link is a container SAS
with the same create+write permissions (no read, list or delete), which reaches the whole container.

The signing material comes only from the BlobServiceClient the app already has:

- built from a connection string with an account key (Azurite, local runs), its credential carries
  `account_name`/`account_key`: a service SAS signed with the key;
- built with a token credential (managed identity in Azure), a user delegation key is requested for the
  lifetime of the link and the SAS is signed with it, so no account key is needed or read anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.storage.blob import (
    BlobSasPermissions,
    BlobServiceClient,
    ContainerClient,
    ContainerSasPermissions,
    generate_blob_sas,
    generate_container_sas,
)

from function_app.adapters.delivery.partner_blobs import BlobPartnerFiles, is_file
from function_app.service_layer.delivery.access import (  # SasIssuerError: raised here, also imported from here
    ACK_PREFIX,
    ACK_READ_LIMIT,
    AccessIssuer,
    AckInbox,
    AckLink,
    SasIssuerError,
)

KEY_START_SLACK = timedelta(minutes=5)  # a user delegation key valid a little before now, for clock skew
EMULATOR_ACCOUNT = "devstoreaccount1"  # Azurite's account; Azurite implements no directory-scoped SAS


class BlobAccessIssuer(AccessIssuer):
    def __init__(
        self, service: BlobServiceClient, namespace: str = "", clock: Callable[[], datetime] | None = None,
        hierarchical: bool | None = None,
    ) -> None:
        self._service = service
        self._names = BlobPartnerFiles(service, namespace)  # the one place partner container names are made
        self._clock = clock or (lambda: datetime.now(UTC))
        self._hierarchical = hierarchical  # None: asked of the account when first needed

    def read_list_url(self, partner: str, expires_at: datetime) -> str:
        container = self._container(partner, expires_at)
        permission = ContainerSasPermissions(read=True, list=True)
        sas = generate_container_sas(self._account(), container.container_name, permission=permission,
                                     expiry=expires_at, protocol=_protocol(container), **self._signing(expires_at))
        return f"{container.url}?{sas}"

    def ack_upload_url(self, partner: str, expires_at: datetime) -> AckLink:
        container = self._container(partner, expires_at)
        directory = ACK_PREFIX.rstrip("/")
        if self._is_hierarchical(partner, container):
            sas = generate_blob_sas(self._account(), container.container_name, directory,
                                    permission=BlobSasPermissions(create=True, write=True), expiry=expires_at,
                                    protocol=_protocol(container), is_directory=True, **self._signing(expires_at))
            return AckLink(f"{container.url}/{directory}?{sas}", confined_to_ack=True)
        if self._account() != EMULATOR_ACCOUNT:
            raise SasIssuerError(
                "this storage account has no hierarchical namespace, so no link can be confined to inbound/ack/; "
                "partners upload acks over SFTP (which needs the namespace too: see infra/app/storage.bicep)"
            )
        permission = ContainerSasPermissions(create=True, write=True)
        sas = generate_container_sas(self._account(), container.container_name, permission=permission,
                                     expiry=expires_at, protocol=_protocol(container), **self._signing(expires_at))
        return AckLink(f"{container.url}/{directory}?{sas}", confined_to_ack=False)

    def _container(self, partner: str, expires_at: datetime) -> ContainerClient:
        if expires_at.tzinfo is None:
            raise ValueError(f"expires_at must be timezone-aware, got {expires_at.isoformat()}")
        return self._service.get_container_client(self._names.container_name(partner))

    def _account(self) -> str:
        return getattr(self._service.credential, "account_name", None) or self._service.account_name or ""

    def _is_hierarchical(self, partner: str, container: ContainerClient) -> bool:
        if self._hierarchical is None:
            self._names.prepare(partner)  # asked of the partner's container, which must exist (as for an upload)
            self._hierarchical = bool(container.get_account_information().get("is_hns_enabled"))
        return self._hierarchical

    def _signing(self, expires_at: datetime) -> dict[str, Any]:
        """The account key (connection string), or a user delegation key for the link's lifetime (managed
        identity): what a SAS is signed with."""
        credential = self._service.credential
        account_key = getattr(credential, "account_key", None)
        if account_key:
            return {"account_key": account_key}
        if callable(getattr(credential, "get_token", None)):
            start = self._clock() - KEY_START_SLACK
            key = self._service.get_user_delegation_key(key_start_time=start, key_expiry_time=expires_at)
            return {"user_delegation_key": key}
        raise SasIssuerError(
            "cannot sign a SAS: the blob client has neither an account key (connection string) nor a token "
            "credential (managed identity)"
        )


def _protocol(container: ContainerClient) -> str | None:
    """Only HTTPS where the account is reached over HTTPS (Azure); Azurite runs plain HTTP on loopback."""
    return "https" if urlsplit(container.url).scheme == "https" else None


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
