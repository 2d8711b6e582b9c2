"""Partner links and acknowledgements on Azurite: real SAS requests, refused where they must be.

Azurite (checked with the pinned 3.35.0) enforces container SAS signatures, permissions and expiry: every
refusal asserted below is a 403 from Azurite itself. The user-delegation branch (managed identity) cannot run
on Azurite, which accepts OAuth only with `--oauth basic` over HTTPS (the launcher starts neither); it is
checked offline at the end of this file, without a request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from azure.core.credentials import AccessToken, AzureSasCredential
from azure.core.exceptions import HttpResponseError
from azure.storage.blob import BlobClient, BlobServiceClient, ContainerClient, UserDelegationKey

from function_app.adapters.delivery.partner_blobs import BlobPartnerFiles
from function_app.adapters.delivery.partner_sas import BlobAccessIssuer, BlobAckInbox
from function_app.bootstrap import Exchange, bootstrap
from function_app.config import Settings
from function_app.domain.delivery.statuses import AckOutcome, FileStatus
from function_app.service_layer.delivery.access import (
    ACK_READ_LIMIT,
    Acknowledgements,
    SasIssuerError,
    issue_access,
    issue_ack_access,
)
from function_app.service_layer.delivery.jobs import DeliveryJob
from tests.conftest import blob_service
from tests.partners import DAY, DEFAULT_PARTNERS, NOON, Clock, contracts_of_the_day, decide

NIGHT = NOON + timedelta(hours=14)
A, B = "adm-01", "oem-toyota"


@pytest.fixture
def exchange(storage_settings: Settings) -> Exchange:
    """Both partners got their nightly file."""
    exchange = bootstrap(storage_settings, partners=DEFAULT_PARTNERS, clock=Clock(NOON))
    decide(exchange, "contracts", list(contracts_of_the_day(6)))
    exchange.clock.now = NIGHT  # type: ignore[attr-defined]
    for partner in (A, B):
        assert len(exchange.delivery.deliver(DeliveryJob(partner, "nightly", DAY)).files) == 1
    return exchange


def blobs(exchange: Exchange) -> BlobServiceClient:
    return blob_service(exchange.settings)


def container(exchange: Exchange, partner: str) -> ContainerClient:
    """The exchange's own (account key) view of a partner container."""
    name = BlobPartnerFiles(blobs(exchange), exchange.settings.namespace).container_name(partner)
    return blobs(exchange).get_container_client(name)


def issuer(exchange: Exchange) -> BlobAccessIssuer:
    return BlobAccessIssuer(blobs(exchange), exchange.settings.namespace)


def names(client: ContainerClient) -> list[str]:
    return sorted(blob.name for blob in client.list_blobs())


def refused(action: Callable[[], Any]) -> HttpResponseError:
    with pytest.raises(HttpResponseError) as caught:  # ClientAuthenticationError is one too
        action()
    assert caught.value.status_code == 403, caught.value
    return caught.value


def test_a_link_reads_and_lists_its_own_container(exchange: Exchange) -> None:
    own = names(container(exchange, A))
    data_name = next(n for n in own if not n.endswith(".manifest.json"))
    url = issue_access(issuer(exchange), DEFAULT_PARTNERS, A, 2, datetime.now(UTC))
    assert url.startswith(container(exchange, A).url + "?")
    query = parse_qs(urlsplit(url).query)
    assert (query["sp"], query["sr"]) == (["rl"], ["c"]), "read and list, on the container, nothing else"
    link = ContainerClient.from_container_url(url)
    assert names(link) == own
    assert link.download_blob(data_name).readall() == container(exchange, A).download_blob(data_name).readall()


def test_a_link_writes_nothing_and_deletes_nothing(exchange: Exchange) -> None:
    own = names(container(exchange, A))
    data_name = own[0]
    before = container(exchange, A).download_blob(data_name).readall()
    link = ContainerClient.from_container_url(issuer(exchange).read_list_url(A, datetime.now(UTC) + timedelta(hours=1)))
    refused(lambda: link.upload_blob("outbound/extra.csv", b"x"))
    refused(lambda: link.upload_blob(data_name, b"tampered", overwrite=True))
    refused(lambda: link.get_blob_client("outbound/staged.csv").stage_block("MDAwMDAwMDA=", b"x"))
    refused(lambda: link.upload_blob("inbound/ack/x.ack", b"0" * 64))  # so partners cannot upload acks with it
    refused(lambda: link.delete_blob(data_name))
    refused(lambda: link.get_blob_client(data_name).set_blob_metadata({"k": "v"}))
    refused(lambda: link.set_container_metadata({"k": "v"}))
    refused(lambda: link.delete_container())
    assert names(container(exchange, A)) == own
    assert container(exchange, A).download_blob(data_name).readall() == before


def test_a_link_reaches_no_other_partners_container(exchange: Exchange) -> None:
    url = issuer(exchange).read_list_url(A, datetime.now(UTC) + timedelta(hours=1))
    own, other = container(exchange, A).container_name, container(exchange, B).container_name
    other_url = url.replace(f"/{own}?", f"/{other}?")
    assert other_url != url
    link = ContainerClient.from_container_url(other_url)
    other_file = names(container(exchange, B))[0]
    refused(lambda: names(link))
    refused(lambda: link.download_blob(other_file).readall())


def test_an_expired_link_is_refused(exchange: Exchange) -> None:
    url = issuer(exchange).read_list_url(A, datetime.now(UTC) - timedelta(minutes=1))
    link = ContainerClient.from_container_url(url)
    refused(lambda: names(link))
    refused(lambda: link.download_blob(names(container(exchange, A))[0]).readall())


def test_acks_are_recorded_against_the_delivered_files(exchange: Exchange) -> None:
    deliveries = exchange.deliveries
    [a_file] = deliveries.files(A, "nightly")
    [b_file] = deliveries.files(B, "nightly")
    a_data = container(exchange, A).download_blob(a_file.blob_name).readall()
    a_base, b_base = a_file.blob_name.rsplit("/", 1)[-1], b_file.blob_name.rsplit("/", 1)[-1]
    container(exchange, A).upload_blob(f"inbound/ack/{a_base}.ack", hashlib.sha256(a_data).hexdigest().upper() + "\r\n")
    container(exchange, B).upload_blob(f"inbound/ack/{b_base}.ack", b"0" * 64)
    container(exchange, B).upload_blob("inbound/ack/oem-toyota_nightly_20260301_001.csv.ack", b"0" * 64)
    container(exchange, B).upload_blob("inbound/ack/empty.ack", b"")

    acks = Acknowledgements(deliveries, BlobAckInbox(blobs(exchange), exchange.settings.namespace), exchange.partners)
    results = acks.run()
    assert {(r.partner, r.file, r.status, r.changed) for r in results} == {
        (A, a_file.blob_name, AckOutcome.ACKNOWLEDGED, True),
        (B, b_file.blob_name, AckOutcome.ACK_MISMATCH, True),
        (B, None, AckOutcome.UNKNOWN_FILE, False),  # the 2026-03-01 file was never delivered
        (B, None, AckOutcome.UNKNOWN_FILE, False),  # empty.ack
    }
    assert [f.status for f in deliveries.files(A)] == [FileStatus.ACKNOWLEDGED]
    assert [f.status for f in deliveries.files(B)] == [FileStatus.ACK_MISMATCH]

    again = acks.run()
    assert [(r.status, r.changed) for r in again] == [(r.status, False) for r in results]
    assert [f.status for f in deliveries.files(A)] == [FileStatus.ACKNOWLEDGED]
    assert [f.status for f in deliveries.files(B)] == [FileStatus.ACK_MISMATCH]


def test_a_partner_without_a_container_has_no_acks(storage_settings: Settings) -> None:
    service = BlobServiceClient.from_connection_string(storage_settings.storage_connection or "")
    assert list(BlobAckInbox(service, storage_settings.namespace).acks("adm-01")) == []


def test_a_long_ack_is_read_only_up_to_its_limit(exchange: Exchange) -> None:
    container(exchange, A).upload_blob("inbound/ack/big.ack", b"f" * 64 + b"\n" + b"x" * 100_000)
    [(name, content)] = BlobAckInbox(blobs(exchange), exchange.settings.namespace).acks(A)
    assert name == "inbound/ack/big.ack"
    assert content == (b"f" * 64 + b"\n" + b"x" * 100_000)[:ACK_READ_LIMIT]


def ack_blob(link_url: str, name: str) -> BlobClient:
    """How a partner uses its ack link: the file's name beneath the link's path, the link's SAS after it."""
    base, _, sas = link_url.partition("?")
    return BlobClient.from_blob_url(f"{base}/{name}?{sas}")


def test_an_ack_link_uploads_an_ack_that_is_recorded_and_reads_lists_deletes_nothing(exchange: Exchange) -> None:
    """On Azurite the link is container-wide (no directory scope there): what Azurite can check is checked."""
    deliveries = exchange.deliveries
    [delivered] = deliveries.files(A, "nightly")
    data = container(exchange, A).download_blob(delivered.blob_name).readall()
    link = issue_ack_access(issuer(exchange), DEFAULT_PARTNERS, A, 2, datetime.now(UTC))
    assert not link.confined_to_ack, "Azurite reports no hierarchical namespace"
    base, _, sas = link.url.partition("?")
    assert base == container(exchange, A).url + "/inbound/ack"
    query = parse_qs(sas)
    assert (query["sp"], query["sr"]) == (["cw"], ["c"]), "create and write, nothing else"
    base_name = delivered.blob_name.rsplit("/", 1)[-1]

    ack_blob(link.url, f"{base_name}.ack").upload_blob(f"{'0' * 64}  {base_name}\n".encode())
    ack_blob(link.url, f"{base_name}.ack").upload_blob(  # a corrected ack replaces the first
        f"{hashlib.sha256(data).hexdigest()}  {base_name}\r\n".encode(), overwrite=True)
    inbox = BlobAckInbox(blobs(exchange), exchange.settings.namespace)
    [result] = Acknowledgements(deliveries, inbox, exchange.partners).run(A)
    assert (result.file, result.status) == (delivered.blob_name, AckOutcome.ACKNOWLEDGED)

    as_partner = ContainerClient.from_container_url(f"{container(exchange, A).url}?{sas}")
    refused(lambda: as_partner.download_blob(delivered.blob_name).readall())
    refused(lambda: as_partner.download_blob(f"inbound/ack/{base_name}.ack").readall())
    refused(lambda: names(as_partner))
    refused(lambda: as_partner.delete_blob(f"inbound/ack/{base_name}.ack"))
    refused(lambda: as_partner.delete_blob(delivered.blob_name))
    refused(lambda: as_partner.delete_container())
    other = container(exchange, B)
    refused(lambda: ack_blob(link.url.replace(f"/{container(exchange, A).container_name}/",
                                              f"/{other.container_name}/"), "x.ack").upload_blob(b"0" * 64))
    assert container(exchange, A).download_blob(delivered.blob_name).readall() == data


def test_an_ack_link_for_a_partner_that_has_had_no_file_yet_works(storage_settings: Settings) -> None:
    service = BlobServiceClient.from_connection_string(storage_settings.storage_connection or "")
    issuer = BlobAccessIssuer(service, storage_settings.namespace)
    link = issuer.ack_upload_url(A, datetime.now(UTC) + timedelta(hours=1))
    ack_blob(link.url, "adm-01_nightly_20260302_001.txt.ack").upload_blob(b"0" * 64)
    inbox = BlobAckInbox(service, storage_settings.namespace)
    assert list(inbox.acks(A)) == [("inbound/ack/adm-01_nightly_20260302_001.txt.ack", b"0" * 64)]


# ---------------------------------------------------------------- offline: no request is made below


class FakeToken:
    """Stands in for a managed identity; never asked for a token, since no request is sent."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        raise AssertionError("no request expected")


class DelegatingService(BlobServiceClient):
    def __init__(self) -> None:
        super().__init__("https://fniaccount.blob.core.windows.net", credential=FakeToken())
        self.requested: list[tuple[datetime, datetime]] = []

    def get_user_delegation_key(self, key_start_time: datetime, key_expiry_time: datetime, **kwargs: Any
                                ) -> UserDelegationKey:
        self.requested.append((key_start_time, key_expiry_time))
        key = UserDelegationKey()  # type: ignore[no-untyped-call]
        key.signed_oid, key.signed_tid = "00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b"
        key.signed_start, key.signed_expiry = "2026-03-03T07:55:00Z", "2026-03-03T10:00:00Z"
        key.signed_service, key.signed_version = "b", "2025-01-05"
        key.value = "ZGVsZWdhdGlvbi1rZXktZm9yLXRlc3RzLW9ubHktbm90LWEtc2VjcmV0"
        return key


def test_with_a_managed_identity_the_link_is_signed_with_a_user_delegation_key() -> None:
    now = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    service = DelegatingService()
    url = BlobAccessIssuer(service, "", clock=lambda: now).read_list_url(A, now + timedelta(hours=2))
    assert service.requested == [(now - timedelta(minutes=5), now + timedelta(hours=2))]
    base, _, sas = url.partition("?")
    assert base == "https://fniaccount.blob.core.windows.net/partner-adm-01"
    query = parse_qs(sas)
    assert (query["sp"], query["sr"], query["spr"], query["se"]) == (["rl"], ["c"], ["https"], ["2026-03-03T10:00:00Z"])
    assert query["skoid"] == ["00000000-0000-0000-0000-00000000000a"], "user delegation SAS"
    assert "sig" in query


def test_a_client_that_cannot_sign_is_an_error_and_naive_times_are_refused() -> None:
    sas_only = BlobServiceClient("https://fniaccount.blob.core.windows.net", credential=AzureSasCredential("sv=x"))
    with pytest.raises(SasIssuerError, match="neither an account key"):
        BlobAccessIssuer(sas_only).read_list_url(A, datetime.now(UTC) + timedelta(hours=1))
    with pytest.raises(ValueError, match="timezone-aware"):
        BlobAccessIssuer(DelegatingService()).read_list_url(A, datetime(2026, 3, 3, 10, 0))


def test_on_a_hierarchical_namespace_the_ack_link_is_scoped_to_the_inbound_ack_directory() -> None:
    now = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    service = DelegatingService()
    issuer = BlobAccessIssuer(service, "", clock=lambda: now, hierarchical=True)
    link = issuer.ack_upload_url(A, now + timedelta(hours=2))
    assert link.confined_to_ack
    base, _, sas = link.url.partition("?")
    assert base == "https://fniaccount.blob.core.windows.net/partner-adm-01/inbound/ack"
    query = parse_qs(sas)
    assert (query["sr"], query["sdd"], query["sp"], query["spr"]) == (["d"], ["2"], ["cw"], ["https"])
    assert query["skoid"] == ["00000000-0000-0000-0000-00000000000a"], "user delegation SAS"
    keyed = BlobServiceClient("https://fniaccount.blob.core.windows.net",
                              credential={"account_name": "fniaccount", "account_key": "a2V5LWZvci10ZXN0cw=="})
    query = parse_qs(urlsplit(BlobAccessIssuer(keyed, hierarchical=True).ack_upload_url(A, now).url).query)
    assert (query["sr"], query["sdd"], query["sp"]) == (["d"], ["2"], ["cw"])


def test_without_a_hierarchical_namespace_in_azure_no_ack_link_is_issued() -> None:
    with pytest.raises(SasIssuerError, match="no hierarchical namespace"):
        BlobAccessIssuer(DelegatingService(), hierarchical=False).ack_upload_url(A, datetime.now(UTC))
