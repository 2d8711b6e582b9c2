"""Event Hub batches through the worker, encoded per each trigger's declared dataType as the host encodes them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from function_app.bootstrap import bootstrap
from function_app.config import Settings
from tests.events import body, cancellation, contract
from tests.worker.conftest import StartWorker
from tests.worker.encoding import EventHubMessage, HostBindingFailure, eventhub_batch, output_strings
from tests.worker.host import WorkerHost
from tests.worker.test_loading import bindings_of

ENQUEUED = datetime(2026, 3, 2, 15, 4, 5, 123456, tzinfo=UTC)


def declared_data_type(host: WorkerHost, function: str) -> str:
    """What the host binds by: the dataType the worker reported for the trigger (none: `undefined`)."""
    return str(bindings_of(host.functions[function])["events"].get("dataType", "undefined")).lower()


def deliver(host: WorkerHost, function: str, hub: str, messages: list[EventHubMessage], **batch: Any) -> list[Any]:
    data, metadata = eventhub_batch(messages, data_type=declared_data_type(host, function), hub=hub, **batch)
    result = host.invoke(function, {"events": data}, metadata)
    assert result.succeeded, result.exception + host.stderr()
    feedback = result.outputs.get("feedback")
    return [json.loads(item) for item in output_strings(feedback)] if feedback is not None else []


def oversized(event: dict[str, Any]) -> bytes:
    event["data"]["notes"] = "x" * (300 * 1024)
    return body(event)


def hostile_batch() -> list[EventHubMessage]:
    return [
        EventHubMessage(body(contract("WKR1000001")), partition_key="D10442"),
        EventHubMessage(b"{ not json", partition_key="D10442"),
        EventHubMessage(b"\xff\xfe\x00 not utf-8", partition_key="D10442"),
        EventHubMessage(oversized(contract("WKR1000003", event_id="too-big")), partition_key="D10442"),
        EventHubMessage(body(contract("WKR1000002")), partition_key="D10442"),
    ]


def test_a_hostile_batch_is_answered_input_by_input_and_again_identically(start_worker: StartWorker) -> None:
    host = start_worker()
    first = deliver(host, "contract_submissions", "contracts", hostile_batch(), partition="2")
    assert [f["data"]["status"] for f in first] == ["ACCEPTED", "REJECTED", "REJECTED", "REJECTED", "ACCEPTED"]
    assert {f["data"]["reasons"][0]["code"] for f in first[1:4]} == {"MALFORMED"}
    again = deliver(host, "contract_submissions", "contracts", hostile_batch(), partition="2")
    assert again == first


def test_without_a_data_type_the_host_would_fail_this_batch_before_python_runs() -> None:
    """Why every Event Hub trigger declares dataType binary: the host's own JSON binding refuses the batch."""
    with pytest.raises(HostBindingFailure):
        eventhub_batch(hostile_batch(), data_type="undefined", hub="contracts")
    eventhub_batch(hostile_batch(), data_type="binary", hub="contracts")


def test_enqueued_time_is_utc_whatever_the_machines_zone(start_worker: StartWorker,
                                                          storage_settings: Settings) -> None:
    """The host sends EnqueuedTimeUtc without an offset; read in America/Chicago it would be six hours off."""
    host = start_worker(TZ="America/Chicago")
    deliver(host, "contract_submissions", "contracts", [EventHubMessage(b"not json")], enqueued=ENQUEUED,
            first_sequence=7, partition="1")
    letters = bootstrap(storage_settings).dead_letters
    names = list(letters.names("contracts/"))
    assert len(names) == 1
    letter = letters.get(names[0])
    assert letter.enqueued_time == ENQUEUED
    assert (letter.partition, letter.sequence_number) == ("1", 7)


def test_a_cancellation_waits_for_its_contract_across_the_two_triggers(start_worker: StartWorker) -> None:
    host = start_worker()
    held = deliver(host, "cancellation_requests", "cancellations",
                   [EventHubMessage(body(cancellation("WKR2000001")), partition_key="D10442")])
    assert held == []
    answers = deliver(host, "contract_submissions", "contracts",
                      [EventHubMessage(body(contract("WKR2000001")), partition_key="D10442")], first_sequence=900)
    assert [a["data"]["status"] for a in answers] == ["ACCEPTED", "ACCEPTED"]
    assert answers[1]["data"]["refund"]["dealer_chargeback"] == "914.88"


