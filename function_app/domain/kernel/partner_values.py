"""The values a partner configuration is made of, each checked with a message its editor can act on."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Annotated, TypeVar

from pydantic import AfterValidator, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from function_app.domain.delivery.fields import FIELDS

MIN_SLA, MAX_SLA = timedelta(minutes=5), timedelta(days=1)
_T = TypeVar("_T")
# PARTNER-FILES.md: `partner-<id>` must be a valid container name, so no leading, trailing or doubled hyphen
PARTNER_ID_PATTERN, FEED_NAME_PATTERN = r"^(?=.{3,40}$)[a-z0-9]+(?:-[a-z0-9]+)*$", r"^[a-z0-9-]{2,30}$"
_DURATION = re.compile(
    r"P(?:(?P<days>\d+)D)?(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)


def problem(message: str) -> PydanticCustomError:
    return PydanticCustomError("partner_config", message)


def problems_at(problems: Sequence[tuple[tuple[str | int, ...], str, object]]) -> ValidationError:
    """Problems found by a container's validator, each placed at the item and key it is about."""
    details = [InitErrorDetails(type=problem(message), loc=loc, input=value) for loc, message, value in problems]
    return ValidationError.from_exception_data("PartnerConfig", details)


def _matching(pattern: str, what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not re.fullmatch(pattern, value):
            raise problem(f"expected {what} ({pattern}), got {value!r}")
        return value

    return AfterValidator(check)


def non_empty_text(value: str) -> str:
    if not value.strip():
        raise problem("expected non-empty text")
    return value


def not_bool(value: object) -> object:
    # JSON `true` equals 1 in Python, and would pass for schema_version 1
    if isinstance(value, bool):
        raise problem(f"expected 1, got {json.dumps(value)}")
    return value


def _known_field(name: str) -> str:
    if name not in FIELDS:
        guess = difflib.get_close_matches(name, FIELDS, n=1)
        hint = f"did you mean {guess[0]!r}?" if guess else f"expected one of {', '.join(FIELDS)}"
        raise problem(f"unknown field {name!r}; {hint}")
    return name


def no_repeats(items: list[_T]) -> list[_T]:
    repeats = [((i,), f"{item!r} is listed twice", item) for i, item in enumerate(items) if item in items[:i]]
    if repeats:
        raise problems_at(repeats)
    return items


def not_empty(items: list[_T]) -> list[_T]:
    if not items:
        raise problem("an empty list matches nothing; leave the key out (or null) to receive all")
    return items


def iso_duration(text: str) -> timedelta:
    """P1D, PT1H, PT15M…: days, hours, minutes and seconds (months and years have no fixed length)."""
    match = _DURATION.fullmatch(text)
    if match is None or not any(match.groups()):
        raise ValueError(f"expected an ISO 8601 duration like PT15M or P1D, got {text!r}")
    try:
        return timedelta(**{unit: int(count) for unit, count in match.groupdict().items() if count})
    except OverflowError:
        raise ValueError(f"expected a duration of at most a few years, got {text!r}") from None


def valid_sla(text: str) -> str:
    try:
        duration = iso_duration(text)
    except ValueError as error:
        raise problem(str(error)) from None
    if not MIN_SLA <= duration <= MAX_SLA:
        raise problem(f"expected a duration from PT5M to P1D, got {text!r}")
    return text


PartnerId = Annotated[
    str, _matching(PARTNER_ID_PATTERN, "3-40 lower-case letters and digits with single hyphens between them, so "
                                       "that partner-<id> is a valid container name")]
FeedName = Annotated[str, _matching(FEED_NAME_PATTERN, "2-30 lower-case letters, digits or '-'")]
Code = Annotated[str, _matching(r"^[A-Z0-9][A-Z0-9_-]{0,39}$", "an upper-case code as events carry it, like TOYOTA")]
Codes = Annotated[list[Code], AfterValidator(not_empty)]
FieldName = Annotated[str, AfterValidator(_known_field)]
