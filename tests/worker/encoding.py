"""What the Functions host puts in an InvocationRequest, encoded as the host encodes it.

Sources, each read for the encoding next to it:
- [conv] Azure/azure-functions-host, src/WebJobs.Script.Grpc/MessageExtensions/GrpcMessageConversionExtensions.cs
  (`ToRpc`): byte[] -> `bytes`; string -> `string`; JObject -> `json`; with the TypedDataCollection capability
  (which the Python worker declares) byte[][] -> `collection_bytes`, string[] -> `collection_string` (null or
  empty entries left out unless the worker asks for them), long[] -> `collection_sint64`; anything else ->
  `json` by Newtonsoft (`JsonConvert.SerializeObject`, default settings).
- [newtonsoft] Newtonsoft.Json's default IsoDateTimeFormat, "yyyy'-'MM'-'dd'T'HH':'mm':'ss.FFFFFFFK": up to seven
  fraction digits with trailing zeros dropped; K writes nothing for a DateTime of unspecified kind, "Z" for
  UTC, and the offset for a DateTimeOffset.
- [eh] Azure/azure-sdk-for-net, sdk/eventhub/Microsoft.Azure.WebJobs.Extensions.EventHubs/src/Triggers/
  EventHubTriggerBindingStrategy.cs (`GetBindingData`, `AddBindingData`, `GetSystemPropertiesForBinding`): for
  a batch, `PartitionContext` and `TriggerPartitionContext` (the processor's PartitionContext:
  FullyQualifiedNamespace, EventHubName, ConsumerGroup, PartitionId), `PartitionKeyArray` (string[]),
  `OffsetArray` and `OffsetStringArray` (string[]), `SequenceNumberArray` (long[]), `EnqueuedTimeUtcArray`
  (`EnqueuedTime.DateTime`: a DateTime of unspecified kind, so no offset), `PropertiesArray` and
  `SystemPropertiesArray` (dictionaries; the latter the AMQP system properties plus SequenceNumber, Offset,
  OffsetString, PartitionKey, EnqueuedTimeUtc).
- [eh-json] Without a `dataType` the extension binds a batch for a non-.NET worker as object[] and parses each
  body as JSON before the worker sees it; one body that is not JSON fails the whole invocation in the host
  (public issues Azure/azure-webjobs-sdk#1830, Azure/azure-functions-eventhubs-extension#118). `dataType:
  binary` binds byte[][] and `dataType: string` string[].
- [queue] Microsoft.Azure.WebJobs.Extensions.Storage.Queues, QueueTriggerBindingDataProvider / binding contract:
  `Id`, `DequeueCount` (long, so `json`), `ExpirationTime`, `InsertionTime`, `NextVisibleTime`
  (DateTimeOffset, so `json` with an offset), `PopReceipt`, `QueueTrigger` (the text); the message itself as
  its text, after the base64 decoding host.json asks for. azure.functions' queue converter accepts only
  `string` or `bytes` input.
- [timer] Microsoft.Azure.WebJobs.Extensions, TimerInfo serialized by [conv]: {"Schedule": {"AdjustForDST":
  true}, "ScheduleStatus": {"Last", "Next", "LastUpdated"}, "IsPastDue"}.
- [eventgrid] Microsoft.Azure.WebJobs.Extensions.EventGrid: the event as a JObject, so `json`, in the schema the
  subscription delivers (infra/app/claims-subscription.bicep: EventGridSchema).
- [outputs] azure.functions (the worker's converters) encodes an Event Hub or queue output of a list of str as
  one `json` array; the host sends each element as one event or one queue message.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.worker import rpc

P: Any = rpc.load()


class HostBindingFailure(Exception):
    """The host could not bind the trigger's data: the function is never invoked and the batch fails."""


def dotnet_time(moment: datetime, kind: str) -> str:
    """[newtonsoft]: `unspecified` writes no offset (how `EnqueuedTime.DateTime` leaves the host), `offset` +00:00."""
    utc = moment.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    ticks = f"{utc.microsecond:06d}0".rstrip("0")
    text += f".{ticks}" if ticks else ""
    return text + {"unspecified": "", "utc": "Z", "offset": "+00:00"}[kind]


def _json(value: object) -> Any:
    return P.TypedData(json=json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def _strings(values: Sequence[str | None]) -> Any:
    """[conv] string[]: null or empty entries are left out (the worker does not ask for them)."""
    return P.TypedData(collection_string=P.CollectionString(string=[v for v in values if v]))


@dataclass
class EventHubMessage:
    body: bytes
    partition_key: str | None = None
    properties: Mapping[str, object] = field(default_factory=dict)  # AMQP application properties
    content_type: str | None = None  # the AMQP properties section's content-type


def _property(value: object) -> object:
    """[newtonsoft] of an application property as .NET holds it: an AMQP timestamp is a UTC DateTime, binary a
    byte[] (written as base64); strings, numbers and booleans as they are."""
    if isinstance(value, datetime):
        return dotnet_time(value, "utc")
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def eventhub_batch(
    messages: Sequence[EventHubMessage], *, data_type: str, hub: str, partition: str = "0",
    first_sequence: int = 100, enqueued: datetime | None = None,
) -> tuple[Any, dict[str, Any]]:
    """The trigger's data and metadata for `cardinality: many`, per the binding's declared dataType."""
    start = enqueued or datetime(2026, 3, 2, 15, 4, 5, 123456, tzinfo=UTC)
    times = [start + timedelta(milliseconds=7 * i) for i in range(len(messages))]
    sequences = [first_sequence + i for i in range(len(messages))]
    offsets = [str(4096 * s) for s in sequences]
    if data_type == "binary":
        data = P.TypedData(collection_bytes=P.CollectionBytes(bytes=[m.body for m in messages]))
    elif data_type == "string":
        data = _strings([m.body.decode("utf-8", errors="replace") for m in messages])
    elif data_type == "undefined":
        data = _json([_host_json(m.body) for m in messages])
    else:
        raise ValueError(f"unknown dataType {data_type!r}")
    context = {"FullyQualifiedNamespace": "fni-exchange.servicebus.windows.net", "EventHubName": hub,
               "ConsumerGroup": "exchange", "PartitionId": partition}
    system = [
        {"x-opt-sequence-number": s, "x-opt-offset": o, "x-opt-enqueued-time": dotnet_time(t, "offset"),
         **({"x-opt-partition-key": m.partition_key} if m.partition_key else {}),
         **({"content-type": m.content_type} if m.content_type else {}),
         "SequenceNumber": s, "Offset": int(o), "OffsetString": o, "PartitionKey": m.partition_key,
         "EnqueuedTimeUtc": dotnet_time(t, "unspecified")}
        for m, s, o, t in zip(messages, sequences, offsets, times, strict=True)
    ]
    metadata = {
        "PartitionContext": _json(context),
        "TriggerPartitionContext": _json(context),
        "PartitionKeyArray": _strings([m.partition_key for m in messages]),
        "OffsetArray": _strings(offsets),
        "OffsetStringArray": _strings(offsets),
        "SequenceNumberArray": P.TypedData(collection_sint64=P.CollectionSInt64(sint64=sequences)),
        "EnqueuedTimeUtcArray": _json([dotnet_time(t, "unspecified") for t in times]),
        "PropertiesArray": _json([{k: _property(v) for k, v in m.properties.items()} for m in messages]),
        "SystemPropertiesArray": _json(system),
        "sys": _json({"MethodName": hub, "UtcNow": dotnet_time(start, "utc"), "RandGuid": "0f8fad5b"}),
    }
    return data, metadata


def _host_json(body: bytes) -> object:
    """[eh-json]: the host's own JSON parse of a body, which fails the batch for a body that is not JSON."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise HostBindingFailure(f"the host could not bind the batch: a body is not JSON ({error})") from error


def timer_request(now: datetime, *, past_due: bool = False) -> Any:
    """[timer]"""
    return _json({
        "Schedule": {"AdjustForDST": True},
        "ScheduleStatus": {"Last": dotnet_time(now - timedelta(minutes=5), "offset"),
                           "Next": dotnet_time(now + timedelta(minutes=5), "offset"),
                           "LastUpdated": dotnet_time(now, "offset")},
        "IsPastDue": past_due,
    })


def queue_message(text: str, *, message_id: str, dequeue_count: int = 1,
                  inserted: datetime | None = None) -> tuple[Any, dict[str, Any]]:
    """[queue]"""
    at = inserted or datetime(2026, 3, 2, 15, 4, 5, tzinfo=UTC)
    metadata = {
        "Id": P.TypedData(string=message_id),
        "DequeueCount": _json(dequeue_count),
        "InsertionTime": _json(dotnet_time(at, "offset")),
        "ExpirationTime": _json(dotnet_time(at + timedelta(days=7), "offset")),
        "NextVisibleTime": _json(dotnet_time(at + timedelta(minutes=1), "offset")),
        "PopReceipt": P.TypedData(string="AgAAAAMAAAAAAAAA"),
        "QueueTrigger": P.TypedData(string=text),
    }
    return P.TypedData(string=text), metadata


def event_grid_event(event: Mapping[str, object]) -> Any:
    """[eventgrid]"""
    return _json(dict(event))


def output_strings(data: Any) -> list[str]:
    """[outputs]: an output binding's value as the host sends it on, one string per event or queue message."""
    kind = data.WhichOneof("data")
    if kind == "json":
        value = json.loads(data.json)
        items = value if isinstance(value, list) else [value]
        return [item if isinstance(item, str) else json.dumps(item) for item in items]
    if kind == "string":
        return [data.string]
    if kind == "collection_string":
        return list(data.collection_string.string)
    raise AssertionError(f"unexpected output encoding {kind}")
