"""The Event Grid-triggered claims function, called with BlobCreated events as Event Grid sends them."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import azure.functions as func
import pytest
from azure.storage.blob import BlobServiceClient

from function_app import bootstrap as composition
from function_app.config import Settings
from function_app.entrypoints.claims import upload_of
from tests.events import contract, messages
from tests.functions.test_event_hub_triggers import registered
from tests.integration.test_claims_intake import HEADER, row


def blob_created(container: str, name: str) -> func.EventGridEvent:
    return func.EventGridEvent(
        id="evt-1", data={"api": "PutBlob", "url": f"https://acct.blob.core.windows.net/{container}/{name}"},
        topic="/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct",
        subject=f"/blobServices/default/containers/{container}/blobs/{name}",
        event_type="Microsoft.Storage.BlobCreated", event_time=datetime.now(UTC), data_version="",
    )


def test_subjects_name_the_partner_and_data_file_and_nothing_else() -> None:
    subject = "/blobServices/default/containers/partner-adm-01/blobs/inbound/claims/f.csv.manifest.json"
    assert upload_of(subject, "") == ("adm-01", "inbound/claims/f.csv")
    assert upload_of("/blobServices/default/containers/deadletter/blobs/inbound/claims/f.csv", "") is None
    assert upload_of("/blobServices/default/containers/partner-adm-01/blobs/outbound/x.csv", "") is None
    assert upload_of("/blobServices/default/containers/partner-adm-01/blobs/inbound/claims/a/../b.csv", "") is None


@pytest.mark.usefixtures("on_azurite")
def test_the_manifest_arriving_triggers_the_file_and_only_in_its_own_container(on_azurite: Settings) -> None:
    composition.exchange().realtime.process(messages("contracts", [contract("VSC2501150001")]))
    service = BlobServiceClient.from_connection_string(on_azurite.storage_connection or "")
    namespace = on_azurite.namespace
    own = service.get_container_client(f"{namespace}partner-adm-01")
    own.create_container()
    name = "inbound/claims/adm-01_claims_20260302_001.csv"
    data = f"{HEADER}\n{row('CLM-300001')}\n".encode()
    own.upload_blob(name, data)
    registered("claims_file_uploaded")(event=blob_created(f"{namespace}partner-adm-01", name))
    assert not own.get_blob_client("outbound/claims-results/adm-01_claims_20260302_001.results.csv").exists()
    manifest = {"record_count": 1, "total_amount": "150.00", "sha256": hashlib.sha256(data).hexdigest()}
    own.upload_blob(name + ".manifest.json", json.dumps(manifest))
    registered("claims_file_uploaded")(event=blob_created(f"{namespace}partner-adm-01", name + ".manifest.json"))
    answer = own.download_blob("outbound/claims-results/adm-01_claims_20260302_001.results.csv").readall()
    assert answer.decode().splitlines()[1].startswith("1,CLM-300001,ACCEPTED")
    other = service.get_container_client(f"{namespace}partner-adm-02")
    assert not other.exists() or not list(other.list_blobs(name_starts_with="outbound/claims-results/"))
