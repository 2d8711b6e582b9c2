"""A dealer's sender written with the CloudEvents Python SDK (`cloudevents`), in either AMQP content mode.

The SDK's AMQP binding (`cloudevents.core.bindings.amqp`) writes what the CloudEvents AMQP protocol binding says:
- structured mode: the body is the JSON event format, and the AMQP `content-type` is
  `application/cloudevents+json`; an event whose data is bytes carries them as `data_base64`;
- binary mode: every attribute but `datacontenttype` becomes an application property named `cloudEvents_<attr>`
  (the binding allows `cloudEvents:<attr>` too, one separator per message), `datacontenttype` becomes the AMQP
  `content-type` message property, `time` travels as an AMQP timestamp (milliseconds since the epoch), and the
  body is the data itself.
Event Hubs keeps both property sections; the Functions host hands the application properties to Python as JSON
values and `content-type` with the system properties. `SentMessage.properties` is what reaches the exchange's
`InboundMessage.properties`: the application properties, plus `content-type` when the transport passes it on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cloudevents.core.bindings import amqp
from cloudevents.core.v1.event import CloudEvent

from function_app.domain.kernel.messages import InboundMessage

Event = dict[str, Any]
T0 = datetime.fromisoformat("2026-03-02T15:00:00+00:00")


@dataclass(frozen=True)
class SentMessage:
    body: bytes
    properties: dict[str, object]

    def inbound(self, hub: str, sequence: int = 0, at: datetime = T0, partition: str = "0") -> InboundMessage:
        return InboundMessage(hub, self.body, partition, sequence, at + timedelta(seconds=sequence),
                              partition_key="D10442", properties=self.properties)


def sdk_event(event: Mapping[str, Any], *, data_as_bytes: bytes | None = None) -> CloudEvent:
    """The SDK's event for a test event (a dict in the JSON format); `data_as_bytes` sends already encoded data."""
    attributes = {name: value for name, value in event.items() if name != "data"}
    if "time" in attributes:
        attributes["time"] = datetime.fromisoformat(attributes["time"])
    return CloudEvent(attributes, data_as_bytes if data_as_bytes is not None else event.get("data"))


def structured(event: CloudEvent, *, content_type: bool = True) -> SentMessage:
    return _sent(amqp.to_structured_event(event), content_type)


def binary(event: CloudEvent, *, separator: str = "_", content_type: bool = True) -> SentMessage:
    """`separator` `:` renames `cloudEvents_<attr>` to `cloudEvents:<attr>`, the binding's other spelling;
    `content_type=False` is a transport that drops the AMQP properties section on the way."""
    message = amqp.to_binary_event(event)
    properties: dict[str, object] = {
        name.replace(amqp.CE_PREFIX_UNDERSCORE, "cloudEvents" + separator, 1): value
        for name, value in message.application_properties.items()
    }
    return _sent(amqp.AMQPMessage(message.properties, properties, message.application_data), content_type)


def _sent(message: amqp.AMQPMessage, content_type: bool) -> SentMessage:
    properties = dict(message.application_properties)
    if content_type and amqp.CONTENT_TYPE_PROPERTY in message.properties:
        properties[amqp.CONTENT_TYPE_PROPERTY] = message.properties[amqp.CONTENT_TYPE_PROPERTY]
    return SentMessage(message.application_data, properties)


def received(message: SentMessage) -> CloudEvent:
    """What the SDK itself reads back from a message: the yardstick for what the exchange must read."""
    properties = {k: v for k, v in message.properties.items() if k != amqp.CONTENT_TYPE_PROPERTY}
    content_type = message.properties.get(amqp.CONTENT_TYPE_PROPERTY)
    amqp_message = amqp.AMQPMessage(
        {amqp.CONTENT_TYPE_PROPERTY: content_type} if content_type else {}, properties, message.body
    )
    return amqp.from_amqp_event(amqp_message)
