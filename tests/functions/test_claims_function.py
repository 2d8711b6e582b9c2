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
from tests.functions.registry import registered
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


class Queued(func.Out[str]):
    """A queue output binding as the worker hands it over: set at most once, read by the host after return."""

    def __init__(self) -> None:
        self.value: str | None = None

    def set(self, val: str) -> None:
        assert self.value is None, "an output binding is set once"
        self.value = val

    def get(self) -> str:
        assert self.value is not None
        return self.value


def queue_message(body: str) -> func.QueueMessage:
    return func.QueueMessage(id="q1", body=body.encode())


def upload_claims(service: BlobServiceClient, container: str, rows: list[str], manifest: bool = True) -> str:
    client = service.get_container_client(container)
    if not client.exists():
        client.create_container()
    name = "inbound/claims/adm-01_claims_20260302_001.csv"
    data = "\n".join([HEADER, *rows, ""]).encode()
    client.upload_blob(name, data, overwrite=True)
    if manifest:
        document = {"record_count": len(rows), "total_amount": f"{150 * len(rows)}.00",
                    "sha256": hashlib.sha256(data).hexdigest()}
        client.upload_blob(name + ".manifest.json", json.dumps(document), overwrite=True)
    return name


@pytest.mark.usefixtures("on_azurite")
def test_the_manifest_arriving_queues_the_file_which_is_answered_in_its_own_container_only(
    on_azurite: Settings,
) -> None:
    composition.exchange().realtime.process(messages("contracts", [contract("VSC2501150001")]))
    service = BlobServiceClient.from_connection_string(on_azurite.storage_connection or "")
    container = f"{on_azurite.namespace}partner-adm-01"
    name = upload_claims(service, container, [row("CLM-300001")], manifest=False)
    own = service.get_container_client(container)
    queued = Queued()
    registered("claims_file_uploaded")(event=blob_created(container, name), files=queued)
    assert queued.value is not None and json.loads(queued.value) == {"partner": "adm-01", "name": name}
    more = Queued()
    registered("process_claims_file")(message=queue_message(queued.value), more=more)
    assert more.value is None, "a file that waits for its manifest is queued again by the manifest's event"
    assert not own.get_blob_client("outbound/claims-results/adm-01_claims_20260302_001.results.csv").exists()
    upload_claims(service, container, [row("CLM-300001")])
    queued = Queued()
    registered("claims_file_uploaded")(event=blob_created(container, name + ".manifest.json"), files=queued)
    assert queued.value is not None
    registered("process_claims_file")(message=queue_message(queued.value), more=Queued())
    answer = own.download_blob("outbound/claims-results/adm-01_claims_20260302_001.results.csv").readall()
    assert answer.decode().splitlines()[1].startswith("1,CLM-300001,ACCEPTED")
    other = service.get_container_client(f"{on_azurite.namespace}partner-adm-02")
    assert not other.exists() or not list(other.list_blobs(name_starts_with="outbound/claims-results/"))


@pytest.mark.usefixtures("on_azurite")
def test_events_for_other_blobs_queue_nothing(on_azurite: Settings) -> None:
    queued = Queued()
    event = blob_created(f"{on_azurite.namespace}partner-adm-01", "outbound/claims-results/x.results.csv")
    registered("claims_file_uploaded")(event=event, files=queued)
    assert queued.value is None


@pytest.mark.usefixtures("on_azurite")
def test_a_file_longer_than_the_time_budget_is_paused_and_continued_through_the_queue(
    on_azurite: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from function_app.entrypoints import claims as entrypoint
    from function_app.service_layer.claims import service as claims_intake

    monkeypatch.setattr(claims_intake, "CHUNK_ROWS", 2)
    monkeypatch.setattr(entrypoint, "TIME_BUDGET_SECONDS", -1)  # out of time after every checkpoint
    composition.exchange().realtime.process(messages("contracts", [contract("VSC2501150001")]))
    service = BlobServiceClient.from_connection_string(on_azurite.storage_connection or "")
    container = f"{on_azurite.namespace}partner-adm-01"
    name = upload_claims(service, container, [row(f"CLM-3100{i:02d}") for i in range(7)])
    body: str | None = json.dumps({"partner": "adm-01", "name": name})
    invocations = 0
    while body is not None:
        more = Queued()
        registered("process_claims_file")(message=queue_message(body), more=more)
        body, invocations = more.value, invocations + 1
        assert invocations < 10
    assert invocations == 4 + 1, "four chunks of at most two rows, each paused after; the last call finishes"
    answer = service.get_container_client(container).download_blob(
        "outbound/claims-results/adm-01_claims_20260302_001.results.csv").readall().decode().splitlines()
    assert [line.split(",")[:3] for line in answer[1:]] == [[str(i + 1), f"CLM-3100{i:02d}", "ACCEPTED"]
                                                           for i in range(7)]


@pytest.mark.parametrize("body", ['{"partner": "adm-01"}', '["adm-01", "x.csv"]', "not json"])
@pytest.mark.usefixtures("on_azurite")
def test_an_unusable_claims_job_fails_so_the_host_retries_then_poisons_it(body: str) -> None:
    with pytest.raises(ValueError):
        registered("process_claims_file")(message=queue_message(body), more=Queued())
