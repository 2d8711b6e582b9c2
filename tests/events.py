"""Test events built from the spec's own examples, and Event Hub batches built as the Python worker builds them."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import azure.functions as func
from azure.functions import meta
from azure.functions.eventhub import EventHubTriggerConverter

from function_app.domain.kernel.messages import InboundMessage
from function_app.domain.kernel.vin import with_check_digit

SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec" / "examples"
LOCAL_SPEC = Path(__file__).resolve().parents[1] / "tests" / "spec_examples"
Event = dict[str, Any]


def _examples(name: str) -> list[Event]:
    folder = SPEC if SPEC.exists() else LOCAL_SPEC
    return [json.loads(line) for line in (folder / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def example_contract() -> Event:
    return copy.deepcopy(_examples("contracts.jsonl")[0])


def example_cancellation() -> Event:
    return copy.deepcopy(_examples("cancellations.jsonl")[0])


def contract(number: str, *, dealer: str = "D10442", event_id: str | None = None, revision: int = 1,
             **changes: Any) -> Event:
    """A valid submission for contract `number`, based on the spec's VSC example."""
    event = example_contract()
    event["id"] = event_id or f"{dealer}-{number}-r{revision}"
    event["source"] = f"urn:dealer:{dealer}"
    event["subject"] = number
    data = event["data"]
    data.update(contract_number=number, dealer_code=dealer, revision=revision)
    data["vehicle"]["vin"] = with_check_digit("4T1BF1FK0GU" + f"{abs(hash(number)) % 1_000_000:06d}")
    for path, value in changes.items():
        _set(data, path, value)
    return event


def cancellation(number: str, *, dealer: str = "D10442", event_id: str | None = None, **changes: Any) -> Event:
    event = example_cancellation()
    event["id"] = event_id or f"{dealer}-{number}-cancel"
    event["source"] = f"urn:dealer:{dealer}"
    event["subject"] = number
    event["data"].update(contract_number=number, dealer_code=dealer)
    for path, value in changes.items():
        _set(event["data"], path, value)
    return event


def lender_cancellation(number: str, *, lender: str = "FPCU", reason: str = "REPOSSESSION",
                        event_id: str | None = None, **changes: Any) -> Event:
    """A lender's request (REFUNDS.md): `lienholder_code` instead of `dealer_code`, from `urn:lender:<code>`; the
    spec's example contract is financed by FPCU."""
    event = cancellation(number, event_id=event_id or f"{lender}-{number}-{reason.lower()}", reason=reason, **changes)
    del event["data"]["dealer_code"]
    event["data"]["lienholder_code"] = lender
    event["source"] = f"urn:lender:{lender}"
    return event


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split("__")
    for part in parents:
        data = data[part]
    data[leaf] = value


def body(event: Event) -> bytes:
    return json.dumps(event, ensure_ascii=False).encode("utf-8")


T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def messages(hub: str, events: Sequence[Event | bytes], *, start: int = 0, at: datetime = T0,
             partition: str = "0") -> list[InboundMessage]:
    return [
        InboundMessage(hub, e if isinstance(e, bytes) else body(e), partition, start + i, at + timedelta(seconds=i))
        for i, e in enumerate(events)
    ]


def eventhub_batch(
    bodies: Sequence[bytes], *, partition: str = "3", first_sequence: int = 100, at: datetime = T0,
    partition_key: Callable[[bytes], str | None] = lambda _b: "D10442",
) -> list[func.EventHubEvent]:
    """A `cardinality=many` batch decoded by the library's own converter, from the metadata the host sends."""

    class _Collection:
        def __init__(self, items: list[bytes]) -> None:
            self.bytes = items

    system = [
        {
            "EnqueuedTimeUtc": (at + timedelta(milliseconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "SequenceNumber": first_sequence + i,
            "Offset": str(4096 * (first_sequence + i)),
            "PartitionKey": partition_key(b),
        }
        for i, b in enumerate(bodies)
    ]
    metadata = {
        "SystemPropertiesArray": meta.Datum(json.dumps(system), "json"),
        "PartitionContext": meta.Datum(
            json.dumps({"ConsumerGroup": "exchange", "EventHubName": "contracts", "PartitionId": partition}), "json"
        ),
        "PartitionKeyArray": meta.Datum(json.dumps([s["PartitionKey"] for s in system]), "json"),
        "SequenceNumberArray": meta.Datum(json.dumps([s["SequenceNumber"] for s in system]), "json"),
    }
    datum = meta.Datum(_Collection(list(bodies)), "collection_bytes")
    events = EventHubTriggerConverter.decode(datum, trigger_metadata=metadata)
    assert isinstance(events, list)
    return events


class Captured(func.Out[list[str]]):
    """The output binding as the worker hands it over: `set` once, read by the host after return."""

    def __init__(self) -> None:
        self.value: list[str] | None = None

    def set(self, val: list[str]) -> None:
        self.value = val

    def get(self) -> list[str]:
        assert self.value is not None
        return self.value
