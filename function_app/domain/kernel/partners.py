"""Partners are configuration (spec/PARTNER-FILES.md): who receives which facts, how, and how soon.

The file is validated at start-up; a mistake stops the app with one message that names the file, the
partner, the feed and the key, so whoever edits `config/partners.json` can fix it without reading code.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError

from function_app.domain.delivery.fields import FIELDS
from function_app.domain.delivery.records import PiiLevel, pii_violations
from function_app.domain.kernel.catalogue import ProductType
from function_app.domain.kernel.journal import FactKind, JournalFact

PartnerKind = Literal["OEM", "ADMINISTRATOR", "LENDER"]
FactType = Literal["contracts", "cancellations", "status_changes", "claims"]
FileFormat = Literal["csv", "fixed", "jsonl"]
FeedMode = Literal["daily", "micro"]

MIN_SLA, MAX_SLA = timedelta(minutes=5), timedelta(days=1)
FACT_KINDS: Mapping[FactType, tuple[str, ...]] = {
    "contracts": (FactKind.CONTRACT_ACCEPTED, FactKind.CONTRACT_REVISED),
    "cancellations": (FactKind.CONTRACT_CANCELLED,),
    # reserved for the change feed, which journals no facts of these kinds yet
    "status_changes": ("STATUS_CHANGED",),
    "claims": ("CLAIM_SUBMITTED", "CLAIM_PAID"),  # filed by administrators' claims files; paid by the back office
}

_T = TypeVar("_T")
# PARTNER-FILES.md: `partner-<id>` must be a valid container name, so no leading, trailing or doubled hyphen
_PARTNER_ID, _FEED_NAME = r"^(?=.{3,40}$)[a-z0-9]+(?:-[a-z0-9]+)*$", r"^[a-z0-9-]{2,30}$"
_DURATION = re.compile(
    r"P(?:(?P<days>\d+)D)?(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)


def _problem(message: str) -> PydanticCustomError:
    return PydanticCustomError("partner_config", message)


def _at(problems: Sequence[tuple[tuple[str | int, ...], str, object]]) -> ValidationError:
    """Problems found by a container's validator, each placed at the item and key it is about."""
    details = [InitErrorDetails(type=_problem(message), loc=loc, input=value) for loc, message, value in problems]
    return ValidationError.from_exception_data("PartnerConfig", details)


def _matching(pattern: str, what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not re.fullmatch(pattern, value):
            raise _problem(f"expected {what} ({pattern}), got {value!r}")
        return value

    return AfterValidator(check)


def _text(value: str) -> str:
    if not value.strip():
        raise _problem("expected non-empty text")
    return value


def _not_bool(value: object) -> object:
    # JSON `true` equals 1 in Python, and would pass for schema_version 1
    if isinstance(value, bool):
        raise _problem(f"expected 1, got {json.dumps(value)}")
    return value


def _known_field(name: str) -> str:
    if name not in FIELDS:
        guess = difflib.get_close_matches(name, FIELDS, n=1)
        hint = f"did you mean {guess[0]!r}?" if guess else f"expected one of {', '.join(FIELDS)}"
        raise _problem(f"unknown field {name!r}; {hint}")
    return name


def _no_repeats(items: list[_T]) -> list[_T]:
    repeats = [((i,), f"{item!r} is listed twice", item) for i, item in enumerate(items) if item in items[:i]]
    if repeats:
        raise _at(repeats)
    return items


def _not_empty(items: list[_T]) -> list[_T]:
    if not items:
        raise _problem("an empty list matches nothing; leave the key out (or null) to receive all")
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


def _sla(text: str) -> str:
    try:
        duration = iso_duration(text)
    except ValueError as error:
        raise _problem(str(error)) from None
    if not MIN_SLA <= duration <= MAX_SLA:
        raise _problem(f"expected a duration from PT5M to P1D, got {text!r}")
    return text


PartnerId = Annotated[
    str, _matching(_PARTNER_ID, "3-40 lower-case letters and digits with single hyphens between them, so that "
                                "partner-<id> is a valid container name")]
FeedName = Annotated[str, _matching(_FEED_NAME, "2-30 lower-case letters, digits or '-'")]
Code = Annotated[str, _matching(r"^[A-Z0-9][A-Z0-9_-]{0,39}$", "an upper-case code as events carry it, like TOYOTA")]
Codes = Annotated[list[Code], AfterValidator(_not_empty)]
FieldName = Annotated[str, AfterValidator(_known_field)]


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FeedFilter(_Config):
    """Which facts a feed receives; a key left out (or null) means all."""

    oems: Codes | None = None
    administrators: Codes | None = None
    product_types: Annotated[list[ProductType], AfterValidator(_not_empty)] | None = None
    # not in the spec's list: a lender must see only the contracts it finances, not its competitors'
    lienholder_codes: Codes | None = None

    def matches(self, fact: JournalFact) -> bool:
        return (
            _allows(self.oems, fact.oem)
            and _allows(self.administrators, fact.administrator)
            and _allows(self.product_types, fact.product_type)
            and _allows(self.lienholder_codes, _lienholder_code(fact))
        )


def _allows(chosen: Sequence[str] | None, value: str | None) -> bool:
    return chosen is None or value in chosen


def _lienholder_code(fact: JournalFact) -> str | None:
    contract = fact.data.get("contract")
    lienholder = contract.get("lienholder") if isinstance(contract, dict) else None
    code = lienholder.get("code") if isinstance(lienholder, dict) else None
    return code if isinstance(code, str) else None


class Feed(_Config):
    name: FeedName
    facts: Annotated[list[FactType], Field(min_length=1), AfterValidator(_no_repeats)]
    filter: FeedFilter
    format: FileFormat
    fields: Annotated[list[FieldName], Field(min_length=1), AfterValidator(_no_repeats)]
    pii: PiiLevel
    sla: Annotated[str, AfterValidator(_sla)]
    cut_at_records: Annotated[StrictInt, Field(ge=1)] = 5000

    @property
    def sla_timedelta(self) -> timedelta:
        return iso_duration(self.sla)

    @property
    def mode(self) -> FeedMode:
        """A daily SLA gets one nightly file per business date; a shorter one gets micro-batches."""
        return "daily" if self.sla_timedelta >= timedelta(days=1) else "micro"

    @property
    def fact_kinds(self) -> frozenset[str]:
        """The journal's FactKind values this feed receives."""
        return frozenset(kind for fact in self.facts for kind in FACT_KINDS[fact])

    @model_validator(mode="after")
    def _consistent(self) -> Feed:
        problems: list[tuple[tuple[str | int, ...], str, object]] = []
        violations = pii_violations(self.fields, self.pii)
        if violations:
            fix = "remove them, or choose pii 'masked'" if self.pii is PiiLevel.NONE else "remove them"
            problems.append((("fields",), f"{'; '.join(violations)}; {fix}", self.fields))
        if self.mode == "daily" and "cut_at_records" in self.model_fields_set:
            # a daily feed gets one file per business date, so a size trigger would silently do nothing
            message = f"applies only to micro-batch feeds (sla shorter than P1D), and this feed's sla is {self.sla}"
            problems.append((("cut_at_records",), message, self.cut_at_records))
        if problems:
            raise _at(problems)
        return self


class Partner(_Config):
    id: PartnerId
    name: Annotated[str, AfterValidator(_text)]
    kind: PartnerKind
    feeds: Annotated[list[Feed], Field(min_length=1)]
    # the administrator code whose contracts this partner may file claims on (CLAIMS-INBOUND.md); one partner's only
    administrator_code: Code | None = None

    @model_validator(mode="after")
    def _feed_names_are_unique(self) -> Partner:
        names = [feed.name for feed in self.feeds]
        repeats = [
            (("feeds", j, "name"), f"another feed of this partner is already named {name!r}", name)
            for j, name in enumerate(names)
            if name in names[:j]
        ]
        if repeats:
            raise _at(repeats)
        return self


class PartnerConfig(_Config):
    schema_version: Annotated[Literal[1], BeforeValidator(_not_bool)]
    partners: list[Partner]

    @model_validator(mode="after")
    def _partner_ids_are_unique(self) -> PartnerConfig:
        ids = [partner.id for partner in self.partners]
        repeats = [
            (
                ("partners", i, "id"),
                f"partners[{i}] has the same id as partners[{ids.index(pid)}]; ids must be unique",
                pid,
            )
            for i, pid in enumerate(ids)
            if pid in ids[:i]
        ]
        if repeats:
            raise _at(repeats)
        return self

    @model_validator(mode="after")
    def _administrator_codes_are_held_once(self) -> PartnerConfig:
        """Two partners holding one code could each file claims on the other's contracts."""
        holders: dict[str, str] = {}
        repeats: list[tuple[tuple[str | int, ...], str, object]] = []
        for i, candidate in enumerate(self.partners):
            code = candidate.administrator_code
            if code is None:
                continue
            if code in holders:
                message = f"{code!r} is already the administrator_code of partner {holders[code]}"
                repeats.append((("partners", i, "administrator_code"), message + "; a code is held by one partner only",
                                code))
            else:
                holders[code] = candidate.id
        if repeats:
            raise _at(repeats)
        return self


class PartnerConfigError(ValueError):
    """The partner configuration is unusable; the message names the file, partner, feed and key."""


def load_partner_config(path: Path) -> PartnerConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PartnerConfigError(f"{path}: partner configuration file not found") from None
    except UnicodeDecodeError as error:
        raise PartnerConfigError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except (OSError, ValueError) as error:  # a directory, no permission, a name the system refuses
        raise PartnerConfigError(f"{path}: cannot read the partner configuration: {error.__class__.__name__}: "
                                 f"{str(error)[:200]}") from None
    return parse_partner_config(text, str(path))


def parse_partner_config(text: str, source: str) -> PartnerConfig:
    """`source` names where the text came from in error messages, usually the file's path."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        raise PartnerConfigError(f"{source}: not JSON: {error.msg} at {where}") from None
    except (RecursionError, ValueError) as error:  # nested deeper than the parser goes; a number too long
        raise PartnerConfigError(f"{source}: not usable JSON: {str(error)[:200]}") from None
    try:
        return PartnerConfig.model_validate_json(text, strict=True)
    except ValidationError as error:
        problems = [f"{source}: {_where(raw, e['loc'])}{_readable(e)}" for e in error.errors()]
        raise PartnerConfigError("\n".join(problems)) from None


def partner(config: PartnerConfig, id: str) -> Partner:
    for candidate in config.partners:
        if candidate.id == id:
            return candidate
    known = ", ".join(p.id for p in config.partners) or "none"
    raise KeyError(f"no partner {id!r} in the partner configuration; known partners: {known}")


_NAMED_LEVELS = (("partners", "partner", "id", _PARTNER_ID), ("feeds", "feed", "name", _FEED_NAME))


def _where(raw: object, loc: tuple[str | int, ...]) -> str:
    """Partners by id and feeds by name, as people know them, rather than by list index."""
    parts: list[str] = []
    rest = list(loc)
    node = raw
    for key, label, ident, pattern in _NAMED_LEVELS:
        if len(rest) < 2 or rest[0] != key or not isinstance(rest[1], int):
            break
        node = _item(node, key, rest[1])
        name = node.get(ident) if isinstance(node, dict) else None
        named = isinstance(name, str) and re.fullmatch(pattern, name)
        parts.append(f"{label} {name}" if named else f"{key}[{rest[1]}]")
        rest = rest[2:]
    path = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in rest).lstrip(".")
    where = ", ".join([*parts, path] if path else parts)
    return f"{where}: " if where else ""


def _item(node: object, key: str, index: int) -> object:
    items = node.get(key) if isinstance(node, dict) else None
    return items[index] if isinstance(items, list) and index < len(items) else None


_KEYS_UNDER: Mapping[str, type[BaseModel]] = {"partners": Partner, "feeds": Feed, "filter": FeedFilter}
_PYDANTIC_WORDING: Sequence[tuple[str, str]] = (
    ("Input should be greater than or equal to ", "expected at least "),
    ("Input should be ", "expected "),
)


def _readable(error: ErrorDetails) -> str:
    kind, loc = error["type"], error["loc"]
    if kind == "partner_config":
        return error["msg"]
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    if kind == "missing":
        return "required, but missing"
    if kind == "too_short":
        return "must not be empty"
    message = error["msg"]
    for theirs, ours in _PYDANTIC_WORDING:
        message = message.replace(theirs, ours)
    return f"{message}, got {_shown(error['input'])}"


def _unknown_key(loc: tuple[str | int, ...]) -> str:
    parents = [part for part in loc[:-1] if isinstance(part, str)]
    model = _KEYS_UNDER.get(parents[-1], PartnerConfig) if parents else PartnerConfig
    known = list(model.model_fields)
    guess = difflib.get_close_matches(str(loc[-1]), known, n=1)
    return "unknown key; " + (f"did you mean {guess[0]!r}?" if guess else f"expected {', '.join(known)}")


def _shown(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return repr(value) if isinstance(value, str) else json.dumps(value)
