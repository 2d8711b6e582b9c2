"""The CloudEvents envelope a dealer event travels in: its event types per hub and the checks on its attributes."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from function_app.domain.kernel import bounds
from function_app.domain.kernel.feedback import Reason, ReasonCode
from function_app.domain.realtime.cloudevents import is_json_media_type

CONTRACT_SUBMITTED = "fni.contract.submitted.v1"
CANCEL_REQUESTED = "fni.contract.cancel_requested.v1"
HUB_TYPES = {"contracts": CONTRACT_SUBMITTED, "cancellations": CANCEL_REQUESTED}
KNOWN_TYPES = frozenset(HUB_TYPES.values())


def bounded_str(value: object, limit: int) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= limit else None


def envelope_reasons(envelope: dict[str, Any], hub: str) -> tuple[Reason, ...]:
    problems = [_envelope_problem(envelope, name) for name in _ENVELOPE_RULES]
    reasons = [Reason(ReasonCode.MALFORMED, name, text) for name, text in problems if text]
    if reasons:
        return tuple(reasons)
    event_type = envelope["type"]
    if event_type not in KNOWN_TYPES:
        return (Reason(ReasonCode.UNKNOWN_TYPE, "type", f"unknown event type {event_type!r}"),)
    if HUB_TYPES.get(hub) != event_type:
        return (Reason(ReasonCode.UNKNOWN_TYPE, "type", f"type {event_type!r} is not accepted on hub {hub!r}"),)
    return ()


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _is_rfc3339(value: object) -> bool:
    """RFC 3339 exactly: Python's fromisoformat alone also takes week dates, basic formats and bare hours."""
    if not isinstance(value, str) or not _RFC3339.match(value):
        return False
    try:
        datetime.fromisoformat(value.upper())
    except ValueError:
        return value[17:19] == "60"  # a leap second is valid RFC 3339, though Python cannot represent it
    return True


_ENVELOPE_RULES: dict[str, tuple[str, Any]] = {
    "specversion": ('must be "1.0"', lambda v: v == "1.0"),
    "id": ("must be a string of 1-128 characters", lambda v: bounded_str(v, 128) is not None),
    "source": ("must be a non-empty URI-reference", lambda v: bounded_str(v, 512) is not None),
    "type": ("must be a string", lambda v: bounded_str(v, 128) is not None),
    "time": ("must be an RFC 3339 timestamp with offset", _is_rfc3339),
    "subject": ("must be the contract number", lambda v: bounded_str(v, 64) is not None),
    "datacontenttype": (
        "must be a JSON media type when present (application/json, text/json or application/<type>+json; "
        "parameters allowed, a charset must be UTF-8)",
        lambda v: v is None or is_json_media_type(v),
    ),
}


def _envelope_problem(envelope: dict[str, Any], name: str) -> tuple[str, str]:
    message, check = _ENVELOPE_RULES[name]
    return name, "" if check(envelope.get(name)) else f"envelope attribute {name!r} {message}"


def envelope_text_reasons(envelope: dict[str, Any]) -> list[Reason]:
    """The envelope's text travels on too (`id` is a partner-file column): it obeys the text bounds."""
    reasons = []
    for name in ("id", "source", "subject"):
        value = envelope.get(name)
        problem = bounds.text_problem(value) if isinstance(value, str) else None
        if problem:
            reasons.append(Reason(ReasonCode.SCHEMA_INVALID, name, f"envelope attribute {name!r} {problem}"))
    return reasons
