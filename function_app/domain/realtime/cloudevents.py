"""CloudEvents 1.0 over AMQP, the protocol Event Hubs speaks: one reader for both content modes.

Per the CloudEvents AMQP protocol binding:
- structured mode: the body is the JSON event format (the attributes and `data`, or `data_base64`);
- binary mode: every attribute but `datacontenttype` is an application property named `cloudEvents_<attr>` or
  `cloudEvents:<attr>`, `datacontenttype` is the AMQP `content-type`, and the body is the data itself.
A receiver tells the modes apart by `content-type` (`application/cloudevents...` is structured). The Functions host
files `content-type` with the system properties, so the exchange may not see it: without it, a message that carries
CloudEvents attributes as properties is binary, unless its body is itself an event (structured mode MAY repeat the
attributes as properties). This module knows nothing of the business: it yields the attributes and the problems.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from function_app.domain.kernel.feedback import Reason, ReasonCode

EVENT_HUBS_MAX_BODY_BYTES = 1024 * 1024  # Event Hubs' largest message: a body up to it is read for its identity
PROPERTY_PREFIXES = ("cloudevents_", "cloudevents:")  # the binding's `cloudEvents_`/`cloudEvents:`, any case
CONTENT_TYPE = "content-type"
STRUCTURED_MEDIA_TYPE = "application/cloudevents"

ContentMode = Literal["structured", "binary"]

_JSON_MEDIA_TYPE = re.compile(
    r"^\s*(?:application/(?:[!#$&^_.+\w-]+\+)?json|text/json)\s*"
    r"(?P<params>(?:;\s*[!#$&^_.+\w-]+\s*=\s*(?:[!#$&^_.+\w-]+|\"[^\"]*\")\s*)*)$",
    re.IGNORECASE | re.ASCII,
)
_CHARSET = re.compile(r";\s*charset\s*=\s*\"?([^\";\s]*)\"?", re.IGNORECASE)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class CloudEventMessage:
    """What one message says as a CloudEvent: its attributes (with `data` decoded when readable) and what is wrong
    with it as a message. `attributes` is empty when nothing in the message identifies the event."""

    mode: ContentMode
    attributes: dict[str, Any]
    problems: tuple[Reason, ...] = ()


def read_event(body: bytes, properties: Mapping[str, object], limit: int) -> CloudEventMessage:
    """The event in `body` and the message's application `properties`; a body over `limit` bytes is a problem but,
    up to Event Hubs' 1 MiB, still read so that the answer can name the event."""
    attributes, conflicts = property_attributes(properties)
    declared = attributes.get("datacontenttype")
    document = _json_document(body) if len(body) <= EVENT_HUBS_MAX_BODY_BYTES else None
    binary = bool(attributes.keys() - {"datacontenttype"}) and not _is_structured_media_type(declared)
    if binary and declared is None and document is not None and _is_event_document(document.value):
        binary = False
    if binary:
        return _binary(len(body), document if body else None, attributes, conflicts, limit)
    event = _structured(len(body), document, limit)
    attributes.pop("datacontenttype", None)
    if event.attributes or not attributes:
        return event
    # structured mode may repeat its attributes as properties: they still name an event whose body is unreadable
    return CloudEventMessage("structured", attributes, (*event.problems, *conflicts))


def is_json_media_type(value: object) -> bool:
    """`application/json`, `text/json` or `application/<x>+json`, any case, with parameters; a charset is UTF-8."""
    if not isinstance(value, str):
        return False
    match = _JSON_MEDIA_TYPE.match(value)
    if match is None:
        return False
    charset = _CHARSET.search(match.group("params"))
    return charset is None or charset.group(1).lower() in ("utf-8", "utf8")


def property_attributes(properties: Mapping[str, object]) -> tuple[dict[str, Any], list[Reason]]:
    """Binary-mode attributes from application properties; an attribute given twice with two values is a problem."""
    attributes: dict[str, Any] = {}
    conflicts: list[Reason] = []
    for key, raw in properties.items():
        name = _attribute_name(key)
        if name is None:
            continue
        value = _attribute_value(name, raw)
        if name in attributes and attributes[name] != value:
            message = f"attribute {name!r} is given twice as a message property, with different values"
            conflicts.append(Reason(ReasonCode.MALFORMED, name, message))
        attributes.setdefault(name, value)
    return attributes, conflicts


def _attribute_name(key: object) -> str | None:
    if not isinstance(key, str):
        return None
    lowered = key.lower()
    if lowered == CONTENT_TYPE:
        return "datacontenttype"
    for prefix in PROPERTY_PREFIXES:
        name = lowered[len(prefix):] if lowered.startswith(prefix) else ""
        if name and name not in ("data", "data_base64"):  # the data is the body, never a property
            return name
    return None


def _attribute_value(name: str, value: object) -> object:
    """The canonical string of a value the host or an AMQP client decoded natively (bytes, timestamps)."""
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return value
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.isoformat()
    if name == "time" and isinstance(value, int) and not isinstance(value, bool):
        try:  # an AMQP timestamp: milliseconds since the Unix epoch
            return (_EPOCH + timedelta(milliseconds=value)).isoformat(timespec="milliseconds")
        except OverflowError:
            return value
    return value


def _is_structured_media_type(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower().startswith(STRUCTURED_MEDIA_TYPE)


def _is_event_document(value: object) -> bool:
    return isinstance(value, dict) and "specversion" in value and ("data" in value or "data_base64" in value)


def _structured(size: int, document: _Json | None, limit: int) -> CloudEventMessage:
    if document is None:
        return CloudEventMessage("structured", {}, (_too_large(size, limit),))
    problem = document.problem("message body")
    if not problem and not isinstance(document.value, dict):
        problem = "message body is not a JSON object"
    if problem:
        reason = _too_large(size, limit) if size > limit else Reason(ReasonCode.MALFORMED, None, problem)
        return CloudEventMessage("structured", {}, (reason,))
    attributes = dict(document.value)
    problems = [_too_large(size, limit)] if size > limit else []
    problems.extend(_inline_base64_data(attributes))
    return CloudEventMessage("structured", attributes, tuple(problems))


def _binary(
    size: int, data: _Json | None, attributes: dict[str, Any], problems: list[Reason], limit: int
) -> CloudEventMessage:
    """`data` is None when there is none to read: an empty body (an event without data) or one over 1 MiB."""
    if size > limit:
        problems.append(_too_large(size, limit))
    if data is not None and not data.unreadable:
        attributes["data"] = data.value
    elif data is not None and size <= limit:
        problems.append(Reason(ReasonCode.MALFORMED, "data", data.problem("data")))
    return CloudEventMessage("binary", attributes, tuple(problems))


def _inline_base64_data(attributes: dict[str, Any]) -> list[Reason]:
    """`data_base64` holding the UTF-8 JSON of the data is the event with that `data`: decoded in place."""
    encoded = attributes.pop("data_base64", None)
    if encoded is None:
        return []
    if "data" in attributes:
        return [Reason(ReasonCode.MALFORMED, "data_base64", "an event carries data or data_base64, never both")]
    try:
        raw = base64.b64decode(re.sub(r"\s+", "", encoded), validate=True) if isinstance(encoded, str) else None
    except (binascii.Error, ValueError):
        raw = None
    if raw is None:
        return [Reason(ReasonCode.MALFORMED, "data_base64", "data_base64 must be base64 text (RFC 4648)")]
    data = _json_document(raw)
    if data.unreadable:
        return [Reason(ReasonCode.MALFORMED, "data", data.problem("data"))]
    attributes["data"] = data.value
    return []


@dataclass(frozen=True)
class _Json:
    """A body or data read as UTF-8 JSON: its value (which may be `null`), or why it has none."""

    value: Any
    unreadable: str = ""

    def problem(self, what: str) -> str:
        return f"{what} {self.unreadable}" if self.unreadable else ""


def _json_document(raw: bytes) -> _Json:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _Json(None, f"is not UTF-8 (byte {exc.start})")
    try:
        return _Json(json.loads(text))
    except (ValueError, RecursionError) as exc:
        return _Json(None, f"is not JSON: {str(exc)[:200]}")


def _too_large(size: int, limit: int) -> Reason:
    return Reason(ReasonCode.MALFORMED, None, f"message body is {size} bytes; the limit is {limit}")
