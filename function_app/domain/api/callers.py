"""Who may ask the API (spec/API.md "Who may ask"): each caller application, by its Entra ID client id, stands for
exactly one dealer or one lienholder. Standard library only: the map is read and checked at start-up, before
anything heavy loads."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from function_app.domain.kernel.bounds import CODE_LENGTH

DEALER_CODE = re.compile(r"[A-Z0-9]{3,10}")  # EVENTS.md `dealer_code`
LIENHOLDER_CODE = re.compile(rf"[A-Z0-9][A-Z0-9_-]{{0,{CODE_LENGTH - 1}}}")  # EVENTS.md `lienholder.code`
CLIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")  # an Entra application (client) id is a GUID
KINDS = ("dealer_code", "lienholder_code")


class CallerMapError(ValueError):
    """The caller map is wrong; the message names the client id and the field."""


class CallerKind(StrEnum):
    DEALER = "dealer"
    LENDER = "lender"


@dataclass(frozen=True)
class Caller:
    """One caller application and the dealer or lienholder it speaks for."""

    client_id: str
    kind: CallerKind
    code: str

    @property
    def dealer_code(self) -> str | None:
        return self.code if self.kind is CallerKind.DEALER else None

    @property
    def lienholder_code(self) -> str | None:
        return self.code if self.kind is CallerKind.LENDER else None


def parse_callers(raw: object) -> dict[str, Caller]:
    """`{client id: {"dealer_code": X} | {"lienholder_code": Y}}`, exactly one code each."""
    if not isinstance(raw, dict):
        raise CallerMapError("expected a JSON object keyed by client id, e.g. "
                             '{"<client id>": {"dealer_code": "D10442"}}')
    return {client_id: _caller(client_id, entry) for client_id, entry in raw.items()}


def _caller(client_id: str, entry: object) -> Caller:
    if not CLIENT_ID.fullmatch(client_id):
        raise CallerMapError(f"client id {client_id[:60]!r}: expected an application (client) id such as a GUID")
    if not isinstance(entry, dict):
        raise CallerMapError(f"client id {client_id}: expected an object with dealer_code or lienholder_code")
    unknown = sorted(set(entry) - set(KINDS))
    if unknown:
        raise CallerMapError(f"client id {client_id}: unknown field {unknown[0][:40]!r} (dealer_code or "
                             "lienholder_code)")
    given = [name for name in KINDS if name in entry]
    if len(given) != 1:
        raise CallerMapError(f"client id {client_id}: give exactly one of dealer_code and lienholder_code")
    name = given[0]
    code = entry[name]
    pattern = DEALER_CODE if name == "dealer_code" else LIENHOLDER_CODE
    if not isinstance(code, str) or not pattern.fullmatch(code):
        raise CallerMapError(f"client id {client_id}: {name} must match {pattern.pattern}, got {str(code)[:40]!r}")
    kind = CallerKind.DEALER if name == "dealer_code" else CallerKind.LENDER
    return Caller(client_id, kind, code)


CallerMap = Mapping[str, Caller]
