"""Event Hub batches through the worker, encoded per each trigger's declared dataType as the host encodes them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from function_app.bootstrap import bootstrap
from function_app.config import Settings
from tests.events import body, cancellation, contract, lender_cancellation
from tests.peers.cloudevents_sender import SentMessage, binary, sdk_event, structured
from tests.worker.conftest import StartWorker, sent_feedback
from tests.worker.encoding import EventHubMessage, HostBindingFailure, eventhub_batch
from tests.worker.host import WorkerHost
from tests.worker.test_loading import bindings_of

ENQUEUED = datetime(2026, 3, 2, 15, 4, 5, 123456, tzinfo=UTC)


def declared_data_type(host: WorkerHost, function: str) -> str:
    """What the host binds by: the dataType the worker reported for the trigger (none: `undefined`)."""
    return str(bindings_of(host.functions[function])["events"].get("dataType", "undefined")).lower()


def deliver(host: WorkerHost, function: str, hub: str, messages: list[EventHubMessage], **batch: Any) -> list[Any]:
    """The feedback the invocation sent to the hub (through the SDK, to the test's stand-in), in order."""
    return [event for _key, event in deliver_keyed(host, function, hub, messages, **batch)]


def deliver_keyed(host: WorkerHost, function: str, hub: str, messages: list[EventHubMessage],
                  **batch: Any) -> list[tuple[str | None, Any]]:
    """Each feedback with the partition key it went under."""
    data, metadata = eventhub_batch(messages, data_type=declared_data_type(host, function), hub=hub, **batch)
    result = host.invoke(function, {"events": data}, metadata)
    assert result.succeeded, result.exception + host.stderr()
    assert not result.outputs, "feedback goes through the SDK, not an output binding"
    return sent_feedback(host)


def oversized(event: dict[str, Any]) -> bytes:
    event["data"]["notes"] = "x" * (300 * 1024)
    return body(event)


def hostile_batch(hub: str = "contracts") -> list[EventHubMessage]:
    """Valid events around a body that is not JSON, one that is not UTF-8 and one over 256 KiB."""
    valid = contract if hub == "contracts" else cancellation
    return [
        EventHubMessage(body(valid("WKR1000001")), partition_key="D10442"),
        EventHubMessage(b"{ not json", partition_key="D10442"),
        EventHubMessage(b"\xff\xfe\x00 not utf-8", partition_key="D10442"),
        EventHubMessage(oversized(valid("WKR1000003", event_id="too-big")), partition_key="D10442"),
        EventHubMessage(body(valid("WKR1000002")), partition_key="D10442"),
    ]


def test_a_hostile_batch_is_answered_input_by_input_and_again_identically(start_worker: StartWorker) -> None:
    host = start_worker()
    first = deliver(host, "contract_submissions", "contracts", hostile_batch(), partition="2")
    assert [f["data"]["status"] for f in first] == ["ACCEPTED", "REJECTED", "REJECTED", "REJECTED", "ACCEPTED"]
    assert {f["data"]["reasons"][0]["code"] for f in first[1:4]} == {"MALFORMED"}
    assert first[3]["data"]["in_reply_to"] == "too-big"  # a body up to 1 MiB is still read for its id
    again = deliver(host, "contract_submissions", "contracts", hostile_batch(), partition="2")
    assert again == first


def test_a_dealer_is_answered_under_its_dealer_code_and_a_lender_under_its_lienholder_code(
    start_worker: StartWorker,
) -> None:
    """EVENTS.md "Feedback" and REFUNDS.md: the partition key the worker passes with each event (`partition_key`,
    from the host's `SystemPropertiesArray`, tests/worker/encoding.py) is the one its answer goes back under."""
    host = start_worker()
    contracts = deliver_keyed(host, "contract_submissions", "contracts", [
        EventHubMessage(body(contract("WKR9000001", event_id="c-1")), partition_key="D10442"),
        EventHubMessage(b"{ not json"),  # no key: answered without one (the hub spreads it round robin)
    ])
    assert [(key, f["data"]["in_reply_to"], f["data"]["status"]) for key, f in contracts] == [
        ("D10442", "c-1", "ACCEPTED"), (None, None, "REJECTED")]
    lender = deliver_keyed(host, "cancellation_requests", "cancellations", [
        EventHubMessage(body(lender_cancellation("WKR9000001", event_id="fpcu-1")), partition_key="FPCU")],
        first_sequence=500)
    assert [(key, f["data"]["in_reply_to"], f["data"]["status"]) for key, f in lender] == [
        ("FPCU", "fpcu-1", "ACCEPTED")]
    assert host.feedback_hub.transfers == 3  # one batch per key and invocation


def test_a_hostile_cancellation_batch_is_answered_where_it_can_be(start_worker: StartWorker) -> None:
    """Cancellations of contracts not yet here are held (no answer yet); everything unreadable is answered."""
    host = start_worker()
    first = deliver(host, "cancellation_requests", "cancellations", hostile_batch("cancellations"))
    assert [(f["data"]["status"], f["data"]["reasons"][0]["code"]) for f in first] == [("REJECTED", "MALFORMED")] * 3
    assert deliver(host, "cancellation_requests", "cancellations", hostile_batch("cancellations")) == first


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




def sent_as(message: SentMessage, key: str = "D10442") -> EventHubMessage:
    """A message written by the CloudEvents SDK's AMQP binding, as Event Hubs hands it to the host."""
    properties = {k: v for k, v in message.properties.items() if k != "content-type"}
    content_type = message.properties.get("content-type")
    return EventHubMessage(message.body, partition_key=key, properties=properties,
                           content_type=content_type if isinstance(content_type, str) else None)


def test_binary_and_structured_mode_are_one_event_through_the_worker(start_worker: StartWorker) -> None:
    host = start_worker()
    first, second = contract("WKR6000001"), contract("WKR6000002")
    as_binary = deliver(host, "contract_submissions", "contracts",
                        [sent_as(binary(sdk_event(first))), sent_as(structured(sdk_event(second)))])
    assert [a["data"]["status"] for a in as_binary] == ["ACCEPTED", "ACCEPTED"]
    assert [a["data"]["in_reply_to"] for a in as_binary] == [first["id"], second["id"]]
    swapped = deliver(host, "contract_submissions", "contracts",
                      [sent_as(structured(sdk_event(first))), sent_as(binary(sdk_event(second), separator=":"))],
                      first_sequence=300)
    assert swapped == as_binary  # the same event in the other mode: the first answer again


def test_more_events_of_one_contract_than_a_transaction_holds(start_worker: StartWorker) -> None:
    """A hundred revisions of one contract in one batch: written in waves, in order, each answered."""
    host = start_worker()
    revisions = [EventHubMessage(body(contract("WKR5000001", revision=r, event_id=f"r{r}", term_months=r + 12)),
                                 partition_key="D10442") for r in range(1, 101)]
    answers = deliver(host, "contract_submissions", "contracts", revisions)
    assert [a["data"]["status"] for a in answers] == ["ACCEPTED"] * 100
    assert len({a["id"] for a in answers}) == 100


def test_a_dead_lettered_binary_event_replays_as_itself(start_worker: StartWorker, on_azurite: Settings,
                                                        tmp_path: Path) -> None:
    """The dead letter keeps the application properties: replayed, the body alone would be no event at all."""
    from fnix.cli import main

    host = start_worker()
    deliver(host, "contract_submissions", "contracts",
            [EventHubMessage(body(contract("WKR7000001")), partition_key="D10442")])
    foreign = cancellation("WKR7000001", dealer="D999", event_id="d999-cancel-1")
    [answer] = deliver(host, "cancellation_requests", "cancellations",
                       [sent_as(binary(sdk_event(foreign)), key="D999")], first_sequence=50)
    assert [r["code"] for r in answer["data"]["reasons"]] == ["NOT_AUTHORIZED"]
    letters = bootstrap(on_azurite).dead_letters
    [name] = list(letters.names("cancellations/"))
    letter = letters.get(name)
    assert (letter.partition_key, letter.properties["cloudEvents_id"]) == ("D999", "d999-cancel-1")
    out = tmp_path / "replayed.jsonl"
    assert main(["deadletters", "replay", name, "--feedback-out", str(out)]) == 0
    [replayed] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert replayed["data"]["in_reply_to"] == "d999-cancel-1"
    assert [r["code"] for r in replayed["data"]["reasons"]] == ["NOT_AUTHORIZED"]
