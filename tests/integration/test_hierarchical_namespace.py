"""Every blob listing of the adapters, on Azurite listed as the production account (hierarchical namespace) lists.

See `tests/integration/hierarchical.py` for what the double adds and where Microsoft documents it. The listings:
dead letters (`fnix deadletters list`), partner files, the claims inbound scan and the acknowledgements inbox.
Reconciliation lists no container: it reads the journal and the delivery records.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from azure.storage.blob import BlobServiceClient, ContainerClient

from function_app.adapters.claims.azure import BlobClaimsInbox
from function_app.adapters.delivery.partner_blobs import BlobPartnerFiles
from function_app.adapters.delivery.partner_sas import BlobAckInbox
from function_app.adapters.kernel.blobs import BlobDeadLetters, ensure_container
from function_app.config import Settings
from function_app.domain.kernel.feedback import Reason, ReasonCode
from function_app.service_layer.kernel.ports import DeadLetter
from tests.conftest import blob_service
from tests.integration.hierarchical import directories_of, hierarchical

PARTNER = "adm-01"
# directories an SFTP user may create and leave empty in its container
EMPTY = ("inbound/ack/processed", "inbound/claims/processed")


@pytest.fixture
def azurite_blobs(storage_settings: Settings) -> BlobServiceClient:
    return blob_service(storage_settings)


@pytest.fixture
def hns(azurite_blobs: BlobServiceClient) -> BlobServiceClient:
    return hierarchical(azurite_blobs, EMPTY)


def letter(name: str, day: date = date(2026, 3, 2)) -> DeadLetter:
    return DeadLetter("contracts", day, name, "k-" + name, "id-" + name, "urn:dealer:D1", "0", 7,
                      datetime(2026, 3, 2, 15, tzinfo=UTC), (Reason(ReasonCode.MALFORMED, None, "m"),),
                      b"{}")


def partner_container(azurite_blobs: BlobServiceClient, storage_settings: Settings) -> ContainerClient:
    return ensure_container(azurite_blobs, BlobPartnerFiles(azurite_blobs, storage_settings.namespace)
                            .container_name(PARTNER))


def test_the_double_lists_directories_as_zero_length_blobs_marked_hdi_isfolder(
        azurite_blobs: BlobServiceClient, storage_settings: Settings) -> None:
    container = ensure_container(hierarchical(azurite_blobs, ["empty/dir"]), storage_settings.dead_letter_container)
    container.upload_blob("contracts/2026-03-02/x.json", b"{}")
    listed = {b.name: (b.size, b.metadata) for b in container.list_blobs(include=["metadata"])}
    assert listed == {"empty": (0, {"hdi_isfolder": "true"}), "empty/dir": (0, {"hdi_isfolder": "true"}),
                      "contracts": (0, {"hdi_isfolder": "true"}), "contracts/2026-03-02": (0, {"hdi_isfolder": "true"}),
                      "contracts/2026-03-02/x.json": (2, {})}
    assert [b.name for b in container.list_blobs(name_starts_with="contracts/")] == [
        "contracts/2026-03-02", "contracts/2026-03-02/x.json"]
    assert directories_of("a/b/c.json") == ["a", "a/b"]


@pytest.mark.parametrize("prefix", ["", "contracts/", "contracts/2026-03-02/"])
def test_dead_letters_list_only_letters(hns: BlobServiceClient, storage_settings: Settings, prefix: str) -> None:
    letters = BlobDeadLetters(ensure_container(hns, storage_settings.dead_letter_container))
    letters.put([letter("a.1"), letter("b.2"), letter("c.3", date(2026, 3, 3))])
    names = list(letters.names(prefix))
    expected = ["contracts/2026-03-02/a.1.json", "contracts/2026-03-02/b.2.json", "contracts/2026-03-03/c.3.json"]
    assert names == [n for n in expected if n.startswith(prefix)]
    assert [letters.get(n).event_id for n in names] == ["id-" + n.rsplit("/", 1)[-1][:3] for n in names]


def test_partner_files_list_only_files(hns: BlobServiceClient, storage_settings: Settings) -> None:
    files = BlobPartnerFiles(hns, storage_settings.namespace)
    files.write_data(PARTNER, "outbound/contracts/2026/03/f1.csv", [b"a,b\n"])
    files.publish(PARTNER, "outbound/contracts/2026/03/f1.csv.manifest.json", b'{"records": 1}')
    written = ["outbound/contracts/2026/03/f1.csv", "outbound/contracts/2026/03/f1.csv.manifest.json"]
    assert list(files.names(PARTNER)) == written
    assert list(files.names(PARTNER, "outbound/")) == written


def test_the_claims_scan_finds_only_data_files(hns: BlobServiceClient, azurite_blobs: BlobServiceClient,
                                               storage_settings: Settings) -> None:
    container = partner_container(azurite_blobs, storage_settings)
    for name in ("inbound/claims/c1.csv", "inbound/claims/c1.csv.manifest.json", "inbound/claims/old/c0.csv"):
        container.upload_blob(name, b"x")
    assert BlobClaimsInbox(hns, storage_settings.namespace).data_files(PARTNER) == ["inbound/claims/c1.csv"]


def test_acknowledgements_read_only_files(hns: BlobServiceClient, azurite_blobs: BlobServiceClient,
                                          storage_settings: Settings) -> None:
    container = partner_container(azurite_blobs, storage_settings)
    container.upload_blob("inbound/ack/2026/f1.ack", b"OK")
    acks = list(BlobAckInbox(hns, storage_settings.namespace).acks(PARTNER))
    assert acks == [("inbound/ack/2026/f1.ack", b"OK")]
