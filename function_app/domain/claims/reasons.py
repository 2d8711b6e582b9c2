"""Why a claims row or file is refused (spec/CLAIMS-INBOUND.md): the reason codes, a reason naming its field, and
the error that refuses a whole file before any row of it is read."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

MAX_ECHO_CHARS = 40  # the most of a partner's own text a results line or a message quotes


class ClaimReason(StrEnum):
    SCHEMA_INVALID = "SCHEMA_INVALID"
    AMOUNT_INCONSISTENT = "AMOUNT_INCONSISTENT"
    CONTRACT_NOT_FOUND = "CONTRACT_NOT_FOUND"
    NOT_COVERED = "NOT_COVERED"
    DUPLICATE = "DUPLICATE"
    CLAIM_CONFLICT = "CLAIM_CONFLICT"
    FILE_CONTROL_MISMATCH = "FILE_CONTROL_MISMATCH"
    MANIFEST_INVALID = "MANIFEST_INVALID"
    FILE_CHANGED = "FILE_CHANGED"
    DUPLICATE_FILE = "DUPLICATE_FILE"


@dataclass(frozen=True)
class Reason:
    code: ClaimReason
    field: str | None
    message: str

    def to_json(self) -> dict[str, str | None]:
        return {"code": self.code.value, "field": self.field, "message": self.message}


class ClaimsFileError(ValueError):
    """The whole file is refused (a bad header): no row of it is read."""

    def __init__(self, code: ClaimReason, message: str) -> None:
        super().__init__(f"{code.value}: {message}")
        self.code = code
        self.message = message


def schema_invalid(field: str | None, message: str) -> Reason:
    return Reason(ClaimReason.SCHEMA_INVALID, field, message)


def shown(text: str) -> str:
    """A partner's text quoted in a message: at most MAX_ECHO_CHARS of it."""
    return repr(text[:MAX_ECHO_CHARS] + ("…" if len(text) > MAX_ECHO_CHARS else ""))
