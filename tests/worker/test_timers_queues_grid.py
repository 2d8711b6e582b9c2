"""Every timer, queue and Event Grid function invoked through the worker with the host's encodings."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from function_app.adapters.kernel.partner_config_file import load_partner_config
from function_app.bootstrap import bootstrap
from function_app.config import Settings
from tests.events import body, cancellation
from tests.worker.conftest import StartWorker, sent_feedback
from tests.worker.encoding import EventHubMessage, event_grid_event, output_strings, queue_message, timer_request
from tests.worker.host import Invocation, WorkerHost
from tests.worker.test_event_hubs import deliver

NOW = datetime.now(UTC)


def run_timer(host: WorkerHost, name: str) -> dict[str, list[str]]:
    result = host.invoke(name, {"timer": timer_request(NOW)})
    assert result.succeeded, result.exception + host.stderr()
    return {binding: output_strings(data) for binding, data in result.outputs.items()}


def run_queue(host: WorkerHost, name: str, text: str, *, dequeue_count: int = 1) -> Invocation:
    data, metadata = queue_message(text, message_id="6c8b1e32-3d1f-4d0e-9a55-1f7f5c4b2a10",
                                   dequeue_count=dequeue_count)
    return host.invoke(name, {"message": data}, metadata)


def test_the_nightly_and_micro_batch_timers_queue_jobs_that_the_queue_function_delivers_once(
        start_worker: StartWorker, storage_settings: Settings) -> None:
    host = start_worker()
    config = load_partner_config(storage_settings.partner_config)
    nightly = [json.loads(job) for job in run_timer(host, "schedule_nightly_files")["jobs"]]
    micro = [json.loads(job) for job in run_timer(host, "schedule_micro_batches")["jobs"]]
    assert {(j["partner"], j["feed"]) for j in nightly} == {
        (p.id, f.name) for p in config.partners for f in p.feeds if f.mode == "daily"}
    assert {(j["partner"], j["feed"]) for j in micro} == {("adm-02", "intraday-contracts")}
    job = {"partner": "adm-01", "feed": "nightly-contracts", "business_date": "2026-03-02"}
    for dequeue_count in (1, 2):  # a redelivered job builds nothing new
        delivered = run_queue(host, "deliver_partner_file", json.dumps(job), dequeue_count=dequeue_count)
        assert delivered.succeeded, delivered.exception + host.stderr()
    exchange = bootstrap(storage_settings)
    deliveries = exchange.deliveries
    assert deliveries is not None
    assert [(f.sequence, f.record_count) for f in deliveries.files("adm-01")] == [(1, 0)]


@pytest.mark.parametrize("job", [{"partner": "adm-01"}, "not an object",
                                 {"partner": "x", "feed": "y", "business_date": "2026-03-02"}])
def test_an_unusable_delivery_job_fails_so_the_queue_retries_then_poisons_it(start_worker: StartWorker,
                                                                               job: object) -> None:
    host = start_worker()
    result = run_queue(host, "deliver_partner_file", json.dumps(job))
    assert not result.succeeded
    assert result.exception


def test_acknowledgements_and_reconciliation_run(start_worker: StartWorker) -> None:
    host = start_worker()
    assert run_timer(host, "record_acknowledgements") == {}
    assert run_timer(host, "reconcile_nightly") == {}


def test_held_cancellations_past_their_hours_are_answered_by_the_timer(start_worker: StartWorker) -> None:
    host = start_worker()
    held = deliver(host, "cancellation_requests", "cancellations",
                   [EventHubMessage(body(cancellation("WKR4000001")), partition_key="D10442")])
    assert held == []
    assert run_timer(host, "expire_held_cancellations") == {}  # no output binding: sent with the SDK
    answers = sent_feedback(host)
    assert [(key, a["subject"], a["data"]["status"], a["data"]["reasons"][0]["code"]) for key, a in answers] == [
        ("D10442", "WKR4000001", "REJECTED", "CONTRACT_NOT_FOUND")]


def test_a_claims_upload_is_queued_and_a_malformed_job_fails_for_the_poison_queue(
        start_worker: StartWorker, storage_settings: Settings) -> None:
    host = start_worker()
    container = f"{storage_settings.namespace}partner-adm-01"
    event = {
        "id": "831e1650-001e-001b-66ab-eeb76e069631", "topic": "/subscriptions/x/resourceGroups/y/providers/"
        "Microsoft.Storage/storageAccounts/fniexchange", "subject": f"/blobServices/default/containers/{container}"
        "/blobs/inbound/claims/adm-01_claims_20260302_001.csv", "eventType": "Microsoft.Storage.BlobCreated",
        "eventTime": "2026-03-02T15:04:05.1234567Z", "dataVersion": "", "metadataVersion": "1",
        "data": {"api": "PutBlob", "contentType": "text/csv", "blobType": "BlockBlob",
                 "url": f"https://fniexchange.blob.core.windows.net/{container}/inbound/claims/x.csv"},
    }
    result = host.invoke("claims_file_uploaded", {"event": event_grid_event(event)})
    assert result.succeeded, result.exception + host.stderr()
    queued = [json.loads(item) for item in output_strings(result.outputs["files"])]
    assert queued == [{"partner": "adm-01", "name": "inbound/claims/adm-01_claims_20260302_001.csv"}]
    nothing_there = run_queue(host, "process_claims_file", json.dumps(queued[0]))
    assert nothing_there.succeeded, nothing_there.exception + host.stderr()
    malformed = run_queue(host, "process_claims_file", json.dumps(["not", "a", "job"]), dequeue_count=5)
    assert not malformed.succeeded
    assert "expected" in malformed.exception
