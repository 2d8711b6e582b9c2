"""The partner configuration file (`config/partners.json`): read, parsed and validated at start-up; a mistake
stops the app with one message that names the file, the partner, the feed and the key."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from function_app.domain.kernel.partner_values import FEED_NAME_PATTERN, PARTNER_ID_PATTERN
from function_app.domain.kernel.partners import Feed, FeedFilter, Partner, PartnerConfig


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


_NAMED_LEVELS = (("partners", "partner", "id", PARTNER_ID_PATTERN), ("feeds", "feed", "name", FEED_NAME_PATTERN))


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
